"""Step ``train-seg``: train DeepLabv2 on a training-set manifest (§8).

The spec has keys ``dataset`` and ``segmentation`` (the config's section: ``model``,
``train``).
"""

from __future__ import annotations

import json
from pathlib import Path

from wsgcn.data.dataset import dataset_from_config
from wsgcn.errors import InputError
from wsgcn.hashing import canonical_json, text_digest
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.runtime import select_device
from wsgcn.segmentation.train import DeepLabParams, SegTrainParams, train_segmenter


def _read_manifest(path: str | Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: cannot read the training-set manifest ({error})") from error


def train_stage(
    spec: Spec, manifest_path: str, model_path: str, checkpoint_path: str, history_path: str, device: str
) -> None:
    """Train DeepLabv2 on the training set in ``manifest_path``; resumes from a matching checkpoint."""
    dataset = dataset_from_config(spec["dataset"])
    manifest = _read_manifest(manifest_path)
    images = manifest["images"]
    label_keys = {image_id: entry["key"] for image_id, entry in images.items()}
    section = spec["segmentation"]
    run_key = text_digest(
        canonical_json(section["model"]),
        canonical_json(section["train"]),
        canonical_json(label_keys),
        code_digest(__name__),
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
