"""Step ``eval-cam``: the CAMs' per-class IoU at the configured background threshold and
the mIoU over a sweep of thresholds (IRNet ``step/eval_cam.py``).

The spec has the key ``dataset``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from wsgcn.cam.evaluate import evaluate_cams
from wsgcn.cam.files import cam_result_path
from wsgcn.data.dataset import dataset_from_config
from wsgcn.evaluation.confusion import mean_iou
from wsgcn.evaluation.tables import iou_table, write_summary, write_table
from wsgcn.params import Spec

log = logging.getLogger(__name__)


def evaluate_stage(
    spec: Spec,
    ids: Sequence[str],
    cam_dir: str,
    threshold: float,
    sweep: Sequence[float],
    csv_path: str,
    markdown_path: str,
    sweep_csv_path: str,
    sweep_markdown_path: str,
    summary_path: str,
) -> float:
    """Evaluate the CAMs of ``ids`` thresholded at ``threshold`` (per-class table) and at
    each value of ``sweep`` (one mIoU per threshold, to choose the threshold); returns the
    mIoU (%) at ``threshold`` (also written to the summary JSON)."""
    dataset = dataset_from_config(spec["dataset"])
    thresholds = list(dict.fromkeys([threshold, *sweep]))  # each distinct threshold evaluated once
    confusions = evaluate_cams(dataset, ids, lambda image_id: cam_result_path(cam_dir, image_id), thresholds)
    confusion_at = dict(zip(thresholds, confusions, strict=False))
    table = iou_table(confusion_at[threshold], dataset.class_names)
    write_table(table, csv_path, markdown_path, f"CAM mIoU at threshold {threshold} ({len(ids)} images)")
    sweep_table = pd.DataFrame({"threshold": list(sweep), "miou": [mean_iou(confusion_at[t]) * 100.0 for t in sweep]})
    write_table(
        sweep_table, sweep_csv_path, sweep_markdown_path, f"CAM mIoU by background threshold ({len(ids)} images)"
    )
    miou = float(table["iou"].iloc[-1])
    write_summary(summary_path, miou, len(ids), 1.0)
    log.info("CAM mIoU %.2f %% over %d images at threshold %s", miou, len(ids), threshold)
    if len(sweep):
        best = sweep_table.loc[sweep_table["miou"].idxmax()]
        log.info("best threshold of the sweep: %s (mIoU %.2f %%)", best["threshold"], best["miou"])
    return miou
