"""WSGCN's partial pseudo labels at stride 4 (``GCN/make_dataset.py::gen_partial_label_with_ratio``).

PSA-style construction on the stride-4 CAMs and the LANCZOS-downsampled image:

1. bg^a = (1 - max_c cam)^a; ``la`` / ``ha``: dCRF of [bg^4, cams] and [bg^32, cams].
2. label = argmax(la); 255 where that is background; 0 where argmax(ha) is background.
3. Confident region (union): for each class c in argmax(la), the CAM values of the
   pixels whose raw argmax (over [bg^32, cams]) is c and that exceed 0.1, above the
   (1 - ratio) quantile (the top 30 %); for background, bg^32 > 0.8 where the raw
   argmax is background.
4. score = [ha background, la classes]: 255 where max(score) < 0.8 or outside the
   confident region; keep a label only where argmax(score) agrees with it.

pydensecrf's bilateral lattice is not invariant to the order of the colour channels;
the published code reads the image with OpenCV, so its dCRFs see BGR (``bgr_quirk``).

Defined where the published code fails: a class with no CAM value above 0.1 (IndexError
there) has no confident pixels; an image without keys is all confident background.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from wsgcn.crf import CrfParams, crf_from_scores
from wsgcn.data.classes import IGNORE_LABEL, plane_labels
from wsgcn.params import ConfigParams


@dataclass(frozen=True)
class PartialLabelParams(ConfigParams):
    """Config ``gcn.partial_labels.labels`` (published values as defaults)."""

    section: ClassVar[str] = "gcn.partial_labels.labels"

    low_alpha: float
    high_alpha: float
    min_cam: float
    confident_ratio: float
    background_confidence: float
    min_score: float
    bgr_quirk: bool


def grid_image(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W, 3) uint8 -> (h, w, 3) uint8 with PIL's LANCZOS filter (WSGCN's grid-size image)."""
    height, width = size
    return np.array(Image.fromarray(rgb).resize((width, height), Image.LANCZOS))


def _top_fraction(values: np.ndarray, min_value: float, ratio: float) -> float | None:
    """The published threshold: sorted values > min_value, the one at floor(n (1 - ratio))."""
    kept = np.sort(values[values > min_value])
    if kept.size == 0:
        return None
    return float(kept[int(np.floor(kept.size * (1 - ratio)))])


def partial_labels(
    small_rgb: np.ndarray, cam: np.ndarray, keys: np.ndarray, params: PartialLabelParams, crf: CrfParams
) -> np.ndarray:
    """Partial label map (h, w) uint8: 0 background, key + 1 class, 255 unlabelled.

    ``small_rgb`` (h, w, 3) is the image resized to the CAM grid, ``cam`` (K, h, w) the
    stride-4 CAMs of the classes ``keys`` (K,). With ``params.bgr_quirk`` the dCRFs see
    the image in BGR order, as the published code (OpenCV) gives it to them.
    """
    crf_image = small_rgb[..., ::-1] if params.bgr_quirk else small_rgb
    keys = np.asarray(keys, dtype=np.int64)
    lookup = plane_labels(keys)
    peak = cam.max(axis=0) if len(keys) else np.zeros(small_rgb.shape[:2], np.float32)
    raw = np.concatenate([(1 - peak)[None] ** params.high_alpha, cam]).astype(np.float64)
    raw_argmax = raw.argmax(axis=0)
    low = crf_from_scores(
        crf_image,
        np.concatenate([(1 - peak)[None] ** params.low_alpha, cam]),
        crf,
        softmax_quirk=False,
        normalise=False,
    )
    high = crf_from_scores(crf_image, raw, crf, softmax_quirk=False, normalise=False)

    label = low.argmax(axis=0)
    label = np.where(label == 0, IGNORE_LABEL, label)
    label[high.argmax(axis=0) == 0] = 0

    confident = np.zeros(label.shape, bool)
    for index in np.unique(low.argmax(axis=0)):
        if index == 0:
            confident |= (raw_argmax == 0) & (raw[0] > params.background_confidence)
            continue
        values = np.where(raw_argmax == index, raw[index], 0.0)
        threshold = _top_fraction(values, params.min_cam, params.confident_ratio)
        if threshold is not None:
            confident |= values > threshold

    score = np.concatenate([high[:1], low[1:]])
    label[(score.max(axis=0) < params.min_score) | ~confident] = IGNORE_LABEL
    label[(label != IGNORE_LABEL) & (score.argmax(axis=0) != label)] = IGNORE_LABEL
    out = np.full(label.shape, IGNORE_LABEL, np.uint8)
    labelled = label != IGNORE_LABEL
    out[labelled] = lookup[label[labelled]]
    return out


def image_partial_labels(
    rgb: np.ndarray, cam: np.ndarray, keys: Sequence[int], section: Mapping[str, Any]
) -> np.ndarray:
    """Partial labels (h, w) uint8 of the image ``rgb`` (H, W, 3) uint8 from its stride-4
    CAMs ``cam`` (K, h, w) in [0, 1] of the classes ``keys``; ``section`` is the config's
    ``gcn.partial_labels``."""
    params = PartialLabelParams.from_config(section["labels"])
    crf = CrfParams.from_config(section["crf"], "gcn.partial_labels.crf")
    return partial_labels(grid_image(rgb, cam.shape[1:]), cam, np.asarray(keys), params, crf)
