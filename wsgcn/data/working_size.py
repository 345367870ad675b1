"""The working size of images: too small ones are upscaled, too large ones downscaled.

Every stage sees an image at its working size, and its masks and label PNGs have that
size too. Within the limits (all VOC images with the defaults) the working size is the
file's own size and nothing is resampled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from wsgcn.errors import ConfigError, InputError


@dataclass(frozen=True)
class WorkingSize:
    """Limits in pixels (config ``dataset.working_size``).

    An image whose long side exceeds ``max_side`` is scaled down so that it equals
    ``max_side``; one whose short side is under ``min_side`` is scaled up so that it
    equals ``min_side``. The aspect ratio is kept (sides rounded to whole pixels).
    """

    min_side: int
    max_side: int

    def __post_init__(self) -> None:
        if not 1 <= self.min_side <= self.max_side:
            raise ConfigError(
                f"dataset.working_size: need 1 <= min_side <= max_side, got {self.min_side} and {self.max_side}"
            )

    def of(self, height: int, width: int, source: str | Path) -> tuple[int, int]:
        """(height, width) at which an image of ``height`` x ``width`` pixels is processed.

        Raises :class:`InputError` naming ``source`` (the file) when no size keeps the
        aspect ratio within both limits.
        """
        short, long = min(height, width), max(height, width)
        if long > self.max_side:
            scale = self.max_side / long
        elif short < self.min_side:
            scale = self.min_side / short
        else:
            return height, width
        size = max(1, round(height * scale)), max(1, round(width * scale))
        if min(size) < self.min_side or max(size) > self.max_side:
            raise InputError(
                f"{source}: image of {height}x{width} pixels: its aspect ratio does not fit dataset.working_size"
                f" (short side >= {self.min_side}, long side <= {self.max_side})"
            )
        return size

    def image(self, rgb: np.ndarray, source: str | Path) -> np.ndarray:
        """``rgb`` (H, W, 3) uint8 read from ``source``, at its working size (bilinear,
        antialiased when shrinking)."""
        size = self.of(*rgb.shape[:2], source)
        if size == rgb.shape[:2]:
            return rgb
        resized = Image.fromarray(rgb).resize((size[1], size[0]), Image.Resampling.BILINEAR)
        return np.asarray(resized, dtype=np.uint8).copy()

    def mask(self, mask: np.ndarray, source: str | Path) -> np.ndarray:
        """A class-id ``mask`` (H, W) uint8 read from ``source``, at its working size
        (nearest neighbour)."""
        size = self.of(*mask.shape, source)
        if size == mask.shape:
            return mask
        resized = Image.fromarray(mask).resize((size[1], size[0]), Image.Resampling.NEAREST)
        return np.asarray(resized, dtype=np.uint8).copy()
