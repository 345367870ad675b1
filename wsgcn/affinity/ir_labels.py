"""Inter-pixel relation labels for training IRNet (IRNet ``step/cam_to_ir_label.py``)."""

from __future__ import annotations

import numpy as np

from wsgcn.crf import CrfParams, crf_from_labels
from wsgcn.data.classes import IGNORE_LABEL, plane_labels


def confident_region(high_res: np.ndarray, threshold: float) -> np.ndarray:
    """argmax over [background plane = threshold, CAMs (K, H, W)]: (H, W) in 0..K."""
    background = np.full((1, *high_res.shape[1:]), threshold, dtype=high_res.dtype)
    return np.concatenate([background, high_res]).argmax(axis=0)


def ir_label(
    rgb: np.ndarray,
    high_res: np.ndarray,
    keys: np.ndarray,
    fg_threshold: float,
    bg_threshold: float,
    gt_prob: float,
    crf: CrfParams,
) -> np.ndarray:
    """The IR label map (H, W) uint8: 0 confident background, 1..20 class, 255 uncertain.

    ``high_res`` (K, H, W) are the normalised full-resolution CAMs of the classes ``keys``.
    Both confident regions are CRF-refined; pixels that are background in the refined
    foreground map become 255, pixels background in both maps become 0. An image without
    keys is all confident background.
    """
    if high_res.shape[1:] != rgb.shape[:2]:
        raise ValueError(f"CAM size {high_res.shape[1:]} differs from image size {rgb.shape[:2]}")
    lookup = plane_labels(keys)
    n_labels = len(keys) + 1
    foreground = lookup[crf_from_labels(rgb, confident_region(high_res, fg_threshold), n_labels, gt_prob, crf)]
    background = lookup[crf_from_labels(rgb, confident_region(high_res, bg_threshold), n_labels, gt_prob, crf)]
    label = foreground.copy()
    label[foreground == 0] = IGNORE_LABEL
    label[(foreground == 0) & (background == 0)] = 0
    return label
