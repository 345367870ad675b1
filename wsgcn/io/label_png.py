"""Label maps as VOC-palette PNGs that carry their input key in a text chunk.

A label map is (H, W) uint8: 0 background, 1..20 classes, 255 ignore/uncertain. The key
(see :mod:`wsgcn.shard_runner`) sits in the PNG's ``wsgcn_input_key`` tEXt chunk, so a
label file is both a normal VOC-style mask for a human and a keyed per-image result.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from wsgcn.data.classes import voc_palette
from wsgcn.errors import InputError
from wsgcn.io.atomic import write_bytes_atomic

KEY_CHUNK = "wsgcn_input_key"


def write_label_png(path: str | Path, labels: np.ndarray, key: str) -> None:
    """Atomically write ``labels`` (H, W) uint8 as a palette PNG tagged with ``key``."""
    if labels.dtype != np.uint8 or labels.ndim != 2:
        raise ValueError(f"label map must be 2-D uint8, got {labels.dtype} {labels.shape}")
    image = Image.fromarray(labels, mode="P")
    image.putpalette(voc_palette().reshape(-1).tolist())
    info = PngImagePlugin.PngInfo()
    info.add_text(KEY_CHUNK, key)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    write_bytes_atomic(path, buffer.getvalue())


def read_label_png(path: str | Path) -> np.ndarray:
    """The label map (H, W) uint8 of a palette (or grayscale) PNG."""
    try:
        with Image.open(path) as image:
            if image.mode not in ("P", "L"):
                raise InputError(f"{path}: label PNG must be palette or grayscale, got mode {image.mode}")
            return np.asarray(image, dtype=np.uint8).copy()
    except (OSError, SyntaxError) as error:
        raise InputError(f"{path}: cannot read label PNG ({error})") from error


def stored_png_key(path: str | Path) -> str | None:
    """The input key of a label PNG, or None if absent or unreadable."""
    try:
        with Image.open(path) as image:
            return image.text.get(KEY_CHUNK)  # type: ignore[attr-defined]
    except (OSError, SyntaxError):
        return None
