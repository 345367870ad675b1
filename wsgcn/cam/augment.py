"""Training augmentation of the CAM recipe: random long-side resize, flip, crop."""

from __future__ import annotations

import numpy as np
from PIL import Image


def resize_bicubic(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    """PIL bicubic resize of an RGB uint8 image to (height, width)."""
    if rgb.shape[:2] == (height, width):
        return rgb
    return np.asarray(Image.fromarray(rgb).resize((width, height), Image.BICUBIC))


def random_resize_long(rgb: np.ndarray, low: int, high: int, rng: np.random.Generator) -> np.ndarray:
    """Resize so the long side is a random integer in [low, high]."""
    target = int(rng.integers(low, high + 1))
    height, width = rgb.shape[:2]
    scale = target / max(height, width)
    return resize_bicubic(rgb, max(1, round(height * scale)), max(1, round(width * scale)))


def random_crop(rgb: np.ndarray, size: int, fill: tuple[float, float, float], rng: np.random.Generator) -> np.ndarray:
    """A ``size`` x ``size`` crop at a random place (IRNet ``get_random_crop_box``).

    Along an axis longer than ``size`` a random window is taken; along a shorter one the
    image is placed at a random offset and the rest is filled with ``fill`` (the
    backbone's mean colour, so the padding is 0 after normalisation).
    """
    height, width = rgb.shape[:2]
    out = np.empty((size, size, 3), dtype=np.uint8)
    out[...] = np.round(np.asarray(fill)).astype(np.uint8)

    def window(length: int) -> tuple[int, int, int]:
        if length > size:
            start = int(rng.integers(0, length - size + 1))
            return start, 0, size
        offset = int(rng.integers(0, size - length + 1))
        return 0, offset, length

    src_y, dst_y, span_y = window(height)
    src_x, dst_x, span_x = window(width)
    out[dst_y : dst_y + span_y, dst_x : dst_x + span_x] = rgb[src_y : src_y + span_y, src_x : src_x + span_x]
    return out


def augment(
    rgb: np.ndarray,
    resize_long: tuple[int, int],
    crop_size: int,
    fill: tuple[float, float, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """Resize (long side in ``resize_long``), flip with probability 1/2, crop."""
    rgb = random_resize_long(rgb, resize_long[0], resize_long[1], rng)
    if rng.random() < 0.5:
        rgb = rgb[:, ::-1]
    return random_crop(rgb, crop_size, fill, rng)
