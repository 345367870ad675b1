"""From the GCN's stride-4 log-probabilities to full-size labels (``GCN/train.py::postprocess_image_save``, ``GCN/CRF.py``)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from wsgcn.crf import CrfParams, crf_from_scores


def upsample_log_probs(log_probs: torch.Tensor, image_size: tuple[int, int]) -> torch.Tensor:
    """(C, h, w) -> (C, H, W): bilinear with align_corners=True on log-probabilities, as published."""
    return F.interpolate(log_probs[None], size=image_size, mode="bilinear", align_corners=True)[0]


def decode_labels(
    log_probs: torch.Tensor,
    keys: np.ndarray,
    rgb: np.ndarray,
    crf: CrfParams | None,
    softmax_quirk: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(label without CRF, label with the final dCRF or None) for one image, both (H, W) uint8.

    ``log_probs`` (21, h, w) are the GCN's outputs, ``keys`` (K,) the image's foreground
    class indices (0-based), ``rgb`` (H, W, 3) the full-size image. Without the CRF the
    label is the argmax over all 21 classes; the CRF sees the probability planes of the
    background and the image's classes only (with the published softmax quirk as an option).
    """
    upsampled = upsample_log_probs(log_probs.float(), rgb.shape[:2])
    plain = upsampled.argmax(dim=0).to(torch.uint8).cpu().numpy()
    if crf is None:
        return plain, None
    present = [0, *(int(k) + 1 for k in keys)]
    planes = upsampled[present].exp().cpu().numpy()
    marginals = crf_from_scores(rgb, planes, crf, softmax_quirk)
    return plain, np.asarray(present, np.uint8)[marginals.argmax(axis=0)]
