"""CAM evaluation (IRNet ``step/eval_cam.py``): threshold, argmax, confusion."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from wsgcn.cam.files import read_cam
from wsgcn.data.classes import plane_labels
from wsgcn.data.dataset import Dataset
from wsgcn.evaluation.confusion import confusion_matrix
from wsgcn.evaluation.label_maps import load_truth


def cam_to_label(high_res: np.ndarray, keys: Sequence[int], threshold: float) -> np.ndarray:
    """Label map (H, W) uint8 from normalised CAMs (K, H, W).

    A constant background plane ``threshold`` is prepended, the argmax taken, and index
    ``i`` mapped to class ``keys[i - 1] + 1`` (0 stays background).
    """
    planes = np.concatenate(
        [np.full((1, *high_res.shape[1:]), threshold, dtype=np.float32), high_res.astype(np.float32)]
    )
    return plane_labels(keys)[np.argmax(planes, axis=0)]


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
