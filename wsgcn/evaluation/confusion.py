"""Confusion matrices and IoU over a split (the VOC protocol).

Rows are ground truth, columns prediction. Ground-truth pixels outside
``0..num_classes-1`` (255) are ignored; a predicted 255 counts as background, as in
IRNet's ``eval_sem_seg``. IoU_c = TP / (TP + FP + FN); mIoU is the mean over classes
whose IoU is defined (classes absent from both GT and prediction are NaN and skipped).
"""

from __future__ import annotations

import numpy as np

from wsgcn.data.classes import IGNORE_LABEL


def confusion_matrix(
    prediction: np.ndarray, truth: np.ndarray, num_classes: int, skip_unlabelled: bool = False
) -> np.ndarray:
    """(num_classes, num_classes) int64 counts for one image; shapes must match.

    With ``skip_unlabelled`` a predicted 255 is left out instead of counted as
    background: the precision-on-labelled-pixels protocol for partial labels.
    """
    if prediction.shape != truth.shape:
        raise ValueError(f"prediction shape {prediction.shape} differs from ground truth shape {truth.shape}")
    truth = truth.astype(np.int64)
    valid = (truth >= 0) & (truth < num_classes)
    if skip_unlabelled:
        valid &= prediction != IGNORE_LABEL
    prediction = np.where(prediction == IGNORE_LABEL, 0, prediction).astype(np.int64)
    if np.any(prediction[valid] >= num_classes) or np.any(prediction[valid] < 0):
        raise ValueError(f"prediction contains values outside 0..{num_classes - 1} and {IGNORE_LABEL}")
    index = truth[valid] * num_classes + prediction[valid]
    return np.bincount(index, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def iou_per_class(confusion: np.ndarray) -> np.ndarray:
    """IoU of every class (NaN where the class is absent from GT and prediction)."""
    true_positive = np.diag(confusion).astype(np.float64)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - true_positive
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, true_positive / union, np.nan)


def mean_iou(confusion: np.ndarray) -> float:
    """nanmean of :func:`iou_per_class`."""
    return float(np.nanmean(iou_per_class(confusion)))
