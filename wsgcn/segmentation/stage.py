"""Stage II as file-to-file steps: training set, DeepLabv2 training, inference + CRF.

Each function takes a *spec*, the JSON-ready dict the workflow passes, with keys
``dataset`` and ``segmentation`` (the config's section: ``model``, ``train``, ``crf``).
Evaluation uses the shared label-map evaluator (``wsgcn eval-labels``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wsgcn.affinity.stage import label_path
from wsgcn.crf import CrfParams, crf_from_scores
from wsgcn.data.dataset import dataset_from_config
from wsgcn.errors import InputError, NumericalError
from wsgcn.evaluation.tables import write_table
from wsgcn.hashing import canonical_json, file_digest, text_digest
from wsgcn.io.atomic import write_text_atomic
from wsgcn.io.label_png import stored_png_key, write_label_png
from wsgcn.models.backbones import load_state_file
from wsgcn.provenance import code_digest
from wsgcn.runtime import select_device
from wsgcn.segmentation.deeplab import DeepLabV2, upsampled_probabilities
from wsgcn.segmentation.train import DeepLabParams, SegTrainParams, train_segmenter
from wsgcn.segmentation.training_set import build_manifest, label_statistics
from wsgcn.shard_runner import run_shard

log = logging.getLogger(__name__)

Spec = Mapping[str, Any]


def training_set_stage(
    spec: Spec, ids: Sequence[str], source: str, label_dir: str | None, manifest_path: str, stats_csv: str, stats_md: str
) -> None:
    """Write the training-set manifest (JSON) and its label statistics (CSV + Markdown).

    ``label_dir`` is the pseudo-label stage folder; ``None`` for the ground truth.
    """
    dataset = dataset_from_config(spec["dataset"])
    if (label_dir is None) != (source == "ground_truth"):
        raise ValueError("label_dir is required for pseudo labels and must be absent for the ground truth")
    path_of = dataset.mask_path if label_dir is None else (lambda image_id: label_path(label_dir, image_id))
    manifest = build_manifest(ids, source, path_of)
    stats = label_statistics(manifest, dataset.class_names)
    write_text_atomic(manifest_path, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    write_table(stats, stats_csv, stats_md, f"Segmentation training set: {len(ids)} images, labels from {source}")
    log.info("training set: %d images, labels from %s, %.1f %% of pixels ignored", len(ids), source, stats["pixel_share"].iloc[-1])


def _read_manifest(path: str | Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: cannot read the training-set manifest ({error})") from error


def train_stage(spec: Spec, manifest_path: str, model_path: str, checkpoint_path: str, history_path: str, device: str = "auto") -> None:
    """Train DeepLabv2 on the training set in ``manifest_path``; resumes from a matching checkpoint."""
    dataset = dataset_from_config(spec["dataset"])
    manifest = _read_manifest(manifest_path)
    images = manifest["images"]
    label_keys = {image_id: entry["key"] for image_id, entry in images.items()}
    section = spec["segmentation"]
    run_key = text_digest(
        canonical_json(section["model"]), canonical_json(section["train"]), canonical_json(label_keys), code_digest(__name__)
    )
    train_segmenter(
        dataset.load_image,
        {image_id: Path(entry["labels"]) for image_id, entry in images.items()},
        dataset.num_classes,
        DeepLabParams.from_config(section["model"]),
        SegTrainParams.from_config(section["train"]),
        model_path,
        checkpoint_path,
        history_path,
        run_key,
        select_device(device),
    )


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
    device_name: str = "auto",
) -> None:
    """Segment every image of ``ids``: plain argmax labels and labels after the CRF of §8, as PNGs."""
    dataset = dataset_from_config(spec["dataset"])
    device = select_device(device_name)
    crf_config = spec["segmentation"]["crf"]
    crf = CrfParams.from_config(crf_config)
    stage_key = text_digest(file_digest(model_path), canonical_json(spec["segmentation"]["model"]), code_digest(__name__))
    crf_key = text_digest(stage_key, canonical_json(crf_config))
    model: DeepLabV2 | None = None
    cached: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def probabilities(image_id: str) -> tuple[np.ndarray, np.ndarray]:
        nonlocal model
        if image_id not in cached:
            cached.clear()
            if model is None:
                model = load_segmenter(spec, dataset.num_classes, model_path, device)
            rgb = dataset.load_image(image_id)
            with torch.no_grad():
                probs = upsampled_probabilities(model, torch.from_numpy(rgb).permute(2, 0, 1).to(device)).cpu().numpy()
            if not np.isfinite(probs).all():
                raise NumericalError(f"{image_id}: segmentation scores contain NaN or Inf; the model in {model_path} is broken")
            cached[image_id] = (rgb, probs)
        return cached[image_id]

    def compute_plain(image_id: str, path: Path, key: str) -> None:
        write_label_png(path, probabilities(image_id)[1].argmax(axis=0).astype(np.uint8), key)

    def compute_crf(image_id: str, path: Path, key: str) -> None:
        rgb, probs = probabilities(image_id)
        marginals = crf_from_scores(rgb, probs, crf, softmax_quirk=False, normalise=False)
        write_label_png(path, marginals.argmax(axis=0).astype(np.uint8), key)

    image_keys = {image_id: dataset.image_digest(image_id) for image_id in ids}

    run_shard(ids, lambda i: text_digest(stage_key, image_keys[i]), lambda i: label_path(seg_dir, i), compute_plain, seg_manifest, stored_png_key)
    run_shard(ids, lambda i: text_digest(crf_key, image_keys[i]), lambda i: label_path(seg_crf_dir, i), compute_crf, seg_crf_manifest, stored_png_key)
