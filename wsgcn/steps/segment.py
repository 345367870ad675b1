"""Step ``segment``: the trained segmenter's labels of a shard of images.

The spec has keys ``dataset`` and ``segmentation`` (``model``). Per image, the seg folder
holds the label PNG (the argmax of the resized, soft-maxed logits) and the logits at the
output stride (HDF5, read by the ``seg-crf`` step).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from wsgcn.data.dataset import dataset_from_config
from wsgcn.errors import NumericalError
from wsgcn.hashing import canonical_json, file_digest, text_digest
from wsgcn.io.h5store import INPUT_KEY, write_arrays
from wsgcn.io.label_png import stored_png_key, write_label_png
from wsgcn.io.layout import label_path, scores_path
from wsgcn.models.backbones import load_state_file
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.runtime import select_device
from wsgcn.segmentation.deeplab import DeepLabV2, logits_probabilities, segmenter_logits
from wsgcn.segmentation.train import DeepLabParams
from wsgcn.shard_runner import run_shard


def load_segmenter(spec: Spec, num_classes: int, model_path: str | Path, device: torch.device) -> DeepLabV2:
    """A trained DeepLabv2 in eval mode (backbone built without ImageNet weights)."""
    model = DeepLabParams.from_config(spec["segmentation"]["model"]).build(num_classes, weights="none")
    model.load_state_dict(load_state_file(model_path))
    return model.to(device).eval()


def infer_shard(spec: Spec, ids: Sequence[str], model_path: str, out_dir: str, manifest_path: str, device: str) -> None:
    """Segment every image of ``ids``: label PNGs and logits in ``out_dir``."""
    dataset = dataset_from_config(spec["dataset"])
    torch_device = select_device(device)
    stage_key = text_digest(
        file_digest(model_path), canonical_json(spec["segmentation"]["model"]), code_digest(__name__)
    )
    model: DeepLabV2 | None = None

    def compute(image_id: str, path: Path, key: str) -> None:
        nonlocal model
        if model is None:
            model = load_segmenter(spec, dataset.num_classes, model_path, torch_device)
        rgb = dataset.load_image(image_id)
        with torch.no_grad():
            logits = segmenter_logits(model, torch.from_numpy(rgb).permute(2, 0, 1).to(torch_device)).cpu()
        if not torch.isfinite(logits).all():
            raise NumericalError(
                f"{image_id}: segmentation scores contain NaN or Inf; the model in {model_path} is broken"
            )
        labels = logits_probabilities(logits, rgb.shape[:2]).argmax(dim=0).numpy().astype(np.uint8)
        # the logits first: the PNG's key is what marks the image done
        write_arrays(
            scores_path(out_dir, image_id),
            {"logits": logits.numpy()},
            {INPUT_KEY: key, "image_id": image_id, "height": rgb.shape[0], "width": rgb.shape[1]},
        )
        write_label_png(path, labels, key)

    run_shard(
        ids,
        lambda i: text_digest(stage_key, dataset.image_digest(i)),
        lambda i: label_path(out_dir, i),
        compute,
        manifest_path,
        stored_png_key,
    )
