"""Training augmentation of DeepLabv2 (algorithm.md §8a): random scale, pad, crop, flip."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from wsgcn.data.classes import IGNORE_LABEL


def scale_pair(rgb: np.ndarray, labels: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Resize an image bilinearly and its label map (nearest) by ``scale``."""
    if scale == 1.0:
        return rgb, labels
    height, width = labels.shape
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    image = np.asarray(Image.fromarray(rgb).resize(size, Image.BILINEAR))
    return image, np.asarray(Image.fromarray(labels).resize(size, Image.NEAREST))


def scale_crop_flip(
    rgb: np.ndarray,
    labels: np.ndarray,
    scales: Sequence[float],
    crop_size: int,
    fill: Sequence[float],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """One training sample: (crop_size, crop_size, 3) uint8 image and (crop_size, crop_size) labels.

    A scale is drawn from ``scales``; the scaled pair is padded at the bottom/right to at
    least the crop size (image with ``fill``, labels with 255), a random crop taken and
    flipped horizontally with probability 1/2.
    """
    rgb, labels = scale_pair(rgb, labels, float(scales[int(rng.integers(len(scales)))]))
    height, width = labels.shape
    padded_h, padded_w = max(height, crop_size), max(width, crop_size)
    image = np.empty((padded_h, padded_w, 3), np.uint8)
    image[...] = np.round(np.asarray(fill)).astype(np.uint8)
    image[:height, :width] = rgb
    target = np.full((padded_h, padded_w), IGNORE_LABEL, np.uint8)
    target[:height, :width] = labels
    top = int(rng.integers(0, padded_h - crop_size + 1))
    left = int(rng.integers(0, padded_w - crop_size + 1))
    image = image[top : top + crop_size, left : left + crop_size]
    target = target[top : top + crop_size, left : left + crop_size]
    if rng.random() < 0.5:
        image, target = image[:, ::-1], target[:, ::-1]
    return np.ascontiguousarray(image), np.ascontiguousarray(target)
