"""CAM evaluation (IRNet ``step/eval_cam.py``): threshold, argmax, confusion, mIoU.

Kept apart from :mod:`wsgcn.cam.stage`, so that a change here reruns only the evaluation,
never the classifier or the CAMs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wsgcn.cam.files import cam_result_path, read_cam
from wsgcn.data.dataset import Dataset, dataset_from_config
from wsgcn.evaluation.confusion import confusion_matrix, mean_iou
from wsgcn.evaluation.label_maps import load_truth
from wsgcn.evaluation.tables import iou_table, write_table

log = logging.getLogger(__name__)


def cam_to_label(high_res: np.ndarray, keys: Sequence[int], threshold: float) -> np.ndarray:
    """Label map (H, W) uint8 from normalised CAMs (K, H, W).

    A constant background plane ``threshold`` is prepended, the argmax taken, and index
    ``i`` mapped to class ``keys[i - 1] + 1`` (0 stays background).
    """
    planes = np.concatenate([np.full((1, *high_res.shape[1:]), threshold, dtype=np.float32), high_res.astype(np.float32)])
    lookup = np.array([0, *(k + 1 for k in keys)], dtype=np.uint8)
    return lookup[np.argmax(planes, axis=0)]


def evaluate_cams(
    dataset: Dataset, ids: Sequence[str], cam_path: Callable[[str], Path], thresholds: Sequence[float]
) -> np.ndarray:
    """Summed confusion matrices (T, C, C) of the CAMs thresholded at each of ``thresholds``
    against the ground-truth masks; every CAM file is read once."""
    total = np.zeros((len(thresholds), dataset.num_classes, dataset.num_classes), dtype=np.int64)
    for image_id in ids:
        arrays = read_cam(cam_path(image_id), ("high_res", "keys"))
        keys = arrays["keys"].tolist()
        truth = load_truth(dataset, image_id, arrays["high_res"].shape[1:])
        for index, threshold in enumerate(thresholds):
            prediction = cam_to_label(arrays["high_res"], keys, threshold)
            total[index] += confusion_matrix(prediction, truth, dataset.num_classes)
    return total


def evaluate_stage(
    spec: Mapping[str, Any],
    ids: Sequence[str],
    cam_dir: str,
    threshold: float,
    sweep: Sequence[float],
    csv_path: str,
    markdown_path: str,
    sweep_csv_path: str,
    sweep_markdown_path: str,
) -> float:
    """Evaluate the CAMs of ``ids`` thresholded at ``threshold`` (per-class table) and at
    each value of ``sweep`` (one mIoU per threshold, to choose the threshold); returns the
    mIoU (%) at ``threshold``."""
    dataset = dataset_from_config(spec["dataset"])
    thresholds = list(dict.fromkeys([threshold, *sweep]))  # each distinct threshold evaluated once
    confusions = evaluate_cams(dataset, ids, lambda image_id: cam_result_path(cam_dir, image_id), thresholds)
    confusion_at = dict(zip(thresholds, confusions))
    table = iou_table(confusion_at[threshold], dataset.class_names)
    write_table(table, csv_path, markdown_path, f"CAM mIoU at threshold {threshold} ({len(ids)} images)")
    sweep_table = pd.DataFrame({"threshold": list(sweep), "miou": [mean_iou(confusion_at[t]) * 100.0 for t in sweep]})
    write_table(sweep_table, sweep_csv_path, sweep_markdown_path, f"CAM mIoU by background threshold ({len(ids)} images)")
    miou = float(table["iou"].iloc[-1])
    log.info("CAM mIoU %.2f %% over %d images at threshold %s", miou, len(ids), threshold)
    if len(sweep):
        best = sweep_table.loc[sweep_table["miou"].idxmax()]
        log.info("best threshold of the sweep: %s (mIoU %.2f %%)", best["threshold"], best["miou"])
    return miou
