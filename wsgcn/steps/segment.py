"""Step ``segment``: the trained segmenter's labels of a shard of images, without and
with the CRF of §8.

The spec has keys ``dataset`` and ``segmentation`` (``model``, ``crf``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from wsgcn.crf import CrfParams, crf_from_scores
from wsgcn.data.dataset import dataset_from_config
from wsgcn.errors import NumericalError
from wsgcn.hashing import canonical_json, file_digest, text_digest
from wsgcn.io.label_png import stored_png_key, write_label_png
from wsgcn.io.layout import label_path
from wsgcn.models.backbones import load_state_file
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.runtime import select_device
from wsgcn.segmentation.deeplab import DeepLabV2, upsampled_probabilities
from wsgcn.segmentation.train import DeepLabParams
from wsgcn.shard_runner import ShardOutput, run_shard_outputs


def load_segmenter(spec: Spec, num_classes: int, model_path: str | Path, device: torch.device) -> DeepLabV2:
    """A trained DeepLabv2 in eval mode (backbone built without ImageNet weights)."""
    model = DeepLabParams.from_config(spec["segmentation"]["model"]).build(num_classes, weights="none")
    model.load_state_dict(load_state_file(model_path))
    return model.to(device).eval()


def infer_shard(
    spec: Spec,
    ids: Sequence[str],
    model_path: str,
    seg_dir: str,
    seg_crf_dir: str,
    seg_manifest: str,
    seg_crf_manifest: str,
    device: str,
) -> None:
    """Segment every image of ``ids``: plain argmax labels and labels after the CRF of §8, as PNGs."""
    dataset = dataset_from_config(spec["dataset"])
    torch_device = select_device(device)
    crf_config = spec["segmentation"]["crf"]
    crf = CrfParams.from_config(crf_config, "segmentation.crf")
    stage_key = text_digest(
        file_digest(model_path), canonical_json(spec["segmentation"]["model"]), code_digest(__name__)
    )
    crf_key = text_digest(stage_key, canonical_json(crf_config))
    model: DeepLabV2 | None = None
    cached: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def probabilities(image_id: str) -> tuple[np.ndarray, np.ndarray]:
        nonlocal model
        if image_id not in cached:
            cached.clear()
            if model is None:
                model = load_segmenter(spec, dataset.num_classes, model_path, torch_device)
            rgb = dataset.load_image(image_id)
            with torch.no_grad():
                probs = (
                    upsampled_probabilities(model, torch.from_numpy(rgb).permute(2, 0, 1).to(torch_device))
                    .cpu()
                    .numpy()
                )
            if not np.isfinite(probs).all():
                raise NumericalError(
                    f"{image_id}: segmentation scores contain NaN or Inf; the model in {model_path} is broken"
                )
            cached[image_id] = (rgb, probs)
        return cached[image_id]

    def compute_plain(image_id: str, path: Path, key: str) -> None:
        write_label_png(path, probabilities(image_id)[1].argmax(axis=0).astype(np.uint8), key)

    def compute_crf(image_id: str, path: Path, key: str) -> None:
        rgb, probs = probabilities(image_id)
        marginals = crf_from_scores(rgb, probs, crf, softmax_quirk=False, normalise=False)
        write_label_png(path, marginals.argmax(axis=0).astype(np.uint8), key)

    image_keys = {image_id: dataset.image_digest(image_id) for image_id in ids}

    run_shard_outputs(
        ids,
        [
            ShardOutput(
                lambda i: text_digest(stage_key, image_keys[i]),
                lambda i: label_path(seg_dir, i),
                compute_plain,
                seg_manifest,
                stored_png_key,
            ),
            ShardOutput(
                lambda i: text_digest(crf_key, image_keys[i]),
                lambda i: label_path(seg_crf_dir, i),
                compute_crf,
                seg_crf_manifest,
                stored_png_key,
            ),
        ],
    )
