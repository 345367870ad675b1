"""Evaluate stored label maps (IR labels, RW, RW+CRF, ...) against the ground truth."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from wsgcn.data.classes import IGNORE_LABEL
from wsgcn.data.dataset import Dataset
from wsgcn.errors import InputError
from wsgcn.evaluation.confusion import confusion_matrix
from wsgcn.io.label_png import read_label_png


def load_truth(dataset: Dataset, image_id: str, prediction_shape: tuple[int, ...]) -> np.ndarray:
    """The ground-truth mask of ``image_id`` at its working size; an error naming it if
    that differs from the prediction's size."""
    truth = dataset.load_mask(image_id)
    if truth.shape != prediction_shape:
        raise InputError(
            f"{dataset.mask_path(image_id)}: mask size {truth.shape} (at the working size)"
            f" differs from the prediction size {prediction_shape}"
        )
    return truth


def evaluate_label_maps(
    dataset: Dataset, ids: Sequence[str], label_path: Callable[[str], Path], partial: bool = False
) -> tuple[np.ndarray, float]:
    """(summed confusion matrix, labelled fraction of GT-valid pixels) over ``ids``.

    With ``partial`` the 255 pixels of a prediction are skipped (precision on labelled
    pixels); otherwise they count as background.
    """
    total = np.zeros((dataset.num_classes, dataset.num_classes), dtype=np.int64)
    labelled = valid = 0
    for image_id in ids:
        prediction = read_label_png(label_path(image_id))
        truth = load_truth(dataset, image_id, prediction.shape)
        total += confusion_matrix(prediction, truth, dataset.num_classes, skip_unlabelled=partial)
        in_truth = truth < dataset.num_classes
        valid += int(in_truth.sum())
        labelled += int((in_truth & (prediction != IGNORE_LABEL)).sum())
    return total, labelled / max(valid, 1)
