"""Step ``seg-data``: the segmenter's training set (a manifest of image ids and label
PNGs with their keys) and its label statistics.

The spec has the key ``dataset``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from wsgcn.data.dataset import dataset_from_config
from wsgcn.evaluation.tables import write_table
from wsgcn.io.atomic import write_text_atomic
from wsgcn.io.layout import label_path
from wsgcn.params import Spec
from wsgcn.segmentation.training_set import build_manifest, label_statistics

log = logging.getLogger(__name__)


def training_set_stage(
    spec: Spec,
    ids: Sequence[str],
    source: str,
    manifest_path: str,
    stats_csv: str,
    stats_md: str,
    label_dir: str = "",
) -> None:
    """Write the training-set manifest (JSON) and its label statistics (CSV + Markdown).

    ``label_dir`` is the pseudo-label stage folder; empty for the ground truth.
    """
    dataset = dataset_from_config(spec["dataset"])
    if bool(label_dir) == (source == "ground_truth"):
        raise ValueError("label_dir is required for pseudo labels and must be empty for the ground truth")
    path_of = (lambda image_id: label_path(label_dir, image_id)) if label_dir else dataset.mask_path
    manifest = build_manifest(ids, source, path_of)
    stats = label_statistics(manifest, dataset.class_names)
    write_text_atomic(manifest_path, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    write_table(stats, stats_csv, stats_md, f"Segmentation training set: {len(ids)} images, labels from {source}")
    log.info(
        "training set: %d images, labels from %s, %.1f %% of pixels ignored",
        len(ids),
        source,
        stats["pixel_share"].iloc[-1],
    )
