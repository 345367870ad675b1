"""From the GCN's stride-4 log-probabilities to full-size labels
(``GCN/train.py::postprocess_image_save``, ``GCN/CRF.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from wsgcn.crf import CrfParams, crf_from_scores


def upsample_log_probs(log_probs: torch.Tensor, image_size: tuple[int, int]) -> torch.Tensor:
    """(C, h, w) -> (C, H, W): bilinear with align_corners=True on log-probabilities, as published."""
    return F.interpolate(log_probs[None], size=image_size, mode="bilinear", align_corners=True)[0]


def plain_labels(log_probs: torch.Tensor, image_size: tuple[int, int]) -> np.ndarray:
    """The label without CRF (H, W) uint8: argmax over all classes of the upsampled (C, h, w)."""
    return upsample_log_probs(log_probs.float(), image_size).argmax(dim=0).to(torch.uint8).cpu().numpy()


def crf_labels(
    log_probs: torch.Tensor, keys: np.ndarray, rgb: np.ndarray, crf: CrfParams, softmax_quirk: bool
) -> np.ndarray:
    """The complete pseudo label (H, W) uint8 after the final dCRF.

    ``log_probs`` (C, h, w) are the GCN's outputs, ``keys`` (K,) the image's foreground
    class indices (0-based), ``rgb`` (H, W, 3) the full-size image. The CRF sees the
    probability planes of the background and the image's classes only (with the
    published softmax quirk as an option).
    """
    present = [0, *(int(k) + 1 for k in keys)]
    planes = upsample_log_probs(log_probs.float(), rgb.shape[:2])[present].exp().cpu().numpy()
    marginals = crf_from_scores(rgb, planes, crf, softmax_quirk, normalise=True)
    return np.asarray(present, np.uint8)[marginals.argmax(axis=0)]


def final_labels(
    log_probs: torch.Tensor, keys: Sequence[int], rgb: np.ndarray, final_crf: Mapping[str, Any]
) -> np.ndarray:
    """:func:`crf_labels` with the config's ``final_crf`` section: the complete pseudo
    labels (H, W) uint8 of the GCN's ``log_probs`` (C, h, w) over the image ``rgb``."""
    crf = CrfParams.from_config(final_crf, "final_crf", {"softmax_quirk"})
    return crf_labels(log_probs, np.asarray(keys), rgb, crf, final_crf["softmax_quirk"])
