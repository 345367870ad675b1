"""Step ``seg-data``: the segmenter's training set (a manifest of image ids and label
PNGs with their keys) and its label statistics.

The spec has keys ``dataset`` and ``labels`` (``source``, a label set of the
``segmentation`` section, and ``dir``, the folder of its labels). The label source is a pseudo-label stage folder, the
ground-truth masks, or (``external``) a folder of ``<id>.png`` label maps from elsewhere,
checked here: one file per id, the image's size, values 0..C and 255.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from wsgcn.data.dataset import dataset_from_config
from wsgcn.data.images import image_size
from wsgcn.evaluation.tables import write_table
from wsgcn.io.atomic import write_text_atomic
from wsgcn.io.layout import label_path
from wsgcn.params import Spec
from wsgcn.segmentation.training_set import build_manifest, check_label_sizes, label_statistics

log = logging.getLogger(__name__)


def training_set_stage(spec: Spec, ids: Sequence[str], manifest_path: str, stats_csv: str, stats_md: str) -> None:
    """Write the training-set manifest (JSON) and its label statistics (CSV + Markdown).

    ``spec["labels"]["dir"]`` is the pseudo-label stage folder, or the folder of external
    label maps; empty for the ground truth.
    """
    dataset = dataset_from_config(spec["dataset"])
    source, label_dir = spec["labels"]["source"], spec["labels"]["dir"]
    if bool(label_dir) == (source == "ground_truth"):
        raise ValueError("label_dir is required for pseudo labels and must be empty for the ground truth")

    def path_of(image_id: str) -> Path:
        if source == "external":
            return Path(label_dir) / f"{image_id}.png"
        return label_path(label_dir, image_id) if label_dir else dataset.mask_path(image_id)

    def working_size(image_id: str) -> tuple[int, int]:
        path = dataset.image_path(image_id)
        return dataset.working_size.of(*image_size(path), path)

    manifest = build_manifest(ids, source, path_of)
    if source == "external":
        check_label_sizes(manifest, working_size)
    stats = label_statistics(manifest, dataset.class_names)
    write_text_atomic(manifest_path, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    write_table(stats, stats_csv, stats_md, f"Segmentation training set: {len(ids)} images, labels from {source}")
    log.info(
        "training set: %d images, labels from %s, %.1f %% of pixels ignored",
        len(ids),
        source,
        stats["pixel_share"].iloc[-1],
    )
