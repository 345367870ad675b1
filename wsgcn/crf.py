"""Dense CRF (pydensecrf) on a full-resolution RGB image, from hard labels or soft scores.

Both flavours used by the published pipeline share the kernel set-up: a Gaussian
(position) kernel and a bilateral (position + colour) kernel, ``iterations`` mean-field
steps. Kernel widths are in pixels (sxy) and 8-bit colour units (srgb).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pydensecrf.densecrf as dcrf
from pydensecrf.utils import unary_from_labels, unary_from_softmax

from wsgcn.params import params_from_config


@dataclass(frozen=True)
class CrfParams:
    """Kernel parameters of one dense CRF."""

    gaussian_sxy: float
    gaussian_compat: float
    bilateral_sxy: float
    bilateral_srgb: float
    bilateral_compat: float
    iterations: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any], section: str, extras: Collection[str] = ()) -> CrfParams:
        """The kernels of config section ``section``; ``extras`` are its keys that are not
        kernel parameters (read by the caller). Any other unknown or missing key is a
        :class:`~wsgcn.errors.ConfigError` naming the section."""
        return params_from_config(cls, {key: value for key, value in config.items() if key not in extras}, section)


def _inference(rgb: np.ndarray, unary: np.ndarray, n_labels: int, params: CrfParams) -> np.ndarray:
    height, width = rgb.shape[:2]
    crf = dcrf.DenseCRF2D(width, height, n_labels)
    crf.setUnaryEnergy(np.ascontiguousarray(unary, dtype=np.float32))
    crf.addPairwiseGaussian(sxy=params.gaussian_sxy, compat=params.gaussian_compat)
    crf.addPairwiseBilateral(
        sxy=params.bilateral_sxy,
        srgb=params.bilateral_srgb,
        rgbim=np.require(rgb, np.uint8, ["C", "W"]),  # pydensecrf needs a writeable buffer
        compat=params.bilateral_compat,
    )
    return np.asarray(crf.inference(params.iterations), dtype=np.float32).reshape(n_labels, height, width)


def crf_from_labels(
    rgb: np.ndarray, labels: np.ndarray, n_labels: int, gt_prob: float, params: CrfParams
) -> np.ndarray:
    """IRNet ``crf_inference_label``: hard labels (H, W) in 0..n_labels-1 -> refined labels (H, W) int64."""
    if n_labels == 1:
        return np.zeros(labels.shape, np.int64)
    unary = unary_from_labels(labels.astype(np.int64), n_labels, gt_prob=gt_prob, zero_unsure=False)
    return _inference(rgb, unary, n_labels, params).argmax(axis=0)


def crf_from_scores(
    rgb: np.ndarray, scores: np.ndarray, params: CrfParams, softmax_quirk: bool, normalise: bool
) -> np.ndarray:
    """Planes (L, H, W) of non-negative scores -> CRF marginals (L, H, W); unary -log(score).

    WSGCN ``CRF.py`` uses ``softmax_quirk``: a softmax of the planes first (a softmax of
    probabilities, which flattens the unary). PSA's ``crf_inference`` (WSGCN's partial
    labels) passes the raw scores: ``normalise=False``.
    """
    planes = scores.astype(np.float64)
    if softmax_quirk:
        planes = np.exp(planes - planes.max(axis=0, keepdims=True))
    if softmax_quirk or normalise:
        planes = planes / np.maximum(planes.sum(axis=0, keepdims=True), 1e-12)
    n_labels = planes.shape[0]
    if n_labels == 1:
        return np.ones(planes.shape, np.float32)
    return _inference(rgb, unary_from_softmax(planes.astype(np.float32)), n_labels, params)
