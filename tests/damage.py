"""Ways to damage a dataset file, shared by the input-check and bad-input tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def truncate(path: Path) -> None:
    """Keep the first third of the file."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def set_mask_value(path: Path, value: int) -> None:
    """Write ``value`` into pixel (3, 3) of a palette mask."""
    mask = Image.open(path)
    values = np.asarray(mask).copy()
    values[3, 3] = value
    out = Image.fromarray(values, mode="P")
    out.putpalette(mask.getpalette())
    out.save(path)


def grow_mask(path: Path, extra_width: int, extra_height: int) -> None:
    mask = Image.open(path)
    mask.resize((mask.width + extra_width, mask.height + extra_height), Image.NEAREST).save(path)


def resize_image(path: Path, width: int, height: int) -> None:
    Image.open(path).convert("RGB").resize((width, height)).save(path, format="JPEG")
