"""Reading images as RGB uint8 and label masks as uint8 class maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from wsgcn.data.classes import IGNORE_LABEL
from wsgcn.errors import InputError


def _open_fully(path: Path) -> Image.Image:
    if not path.is_file():
        raise InputError(f"{path}: file does not exist")
    try:
        image = Image.open(path)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise InputError(f"{path}: cannot decode image ({error})") from error
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        image = Image.fromarray(np.clip(values * (255.0 / top), 0, 255).round().astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
    return image.convert("RGB")


def load_rgb(path: str | Path) -> np.ndarray:
    """Load an image as RGB uint8, shape (H, W, 3).

    Grayscale, CMYK, palette, 16-bit and alpha images are converted (alpha is
    dropped). EXIF orientation is ignored, as in the VOC tools. A missing,
    corrupt or truncated file raises :class:`InputError` naming the file.
    """
    path = Path(path)
    return np.asarray(_to_rgb(_open_fully(path)), dtype=np.uint8).copy()


def image_size(path: str | Path) -> tuple[int, int]:
    """(height, width) of an image without decoding its pixels."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file does not exist")
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError) as error:
        raise InputError(f"{path}: cannot read image header ({error})") from error
    return height, width


def load_mask(path: str | Path, num_classes: int) -> np.ndarray:
    """Load a segmentation mask as uint8 class ids, shape (H, W).

    Palette PNGs give their indices; grayscale PNGs give their values. Values must be
    in ``0..num_classes-1`` or 255 (ignore); anything else raises :class:`InputError`.
    """
    path = Path(path)
    image = _open_fully(path)
    if image.mode not in ("P", "L"):
        raise InputError(f"{path}: a mask must be a palette or grayscale PNG, got mode {image.mode}")
    mask = np.asarray(image, dtype=np.uint8).copy()
    values = np.unique(mask)
    bad = values[(values >= num_classes) & (values != IGNORE_LABEL)]
    if bad.size:
        raise InputError(f"{path}: mask values {bad.tolist()} are outside 0..{num_classes - 1} and {IGNORE_LABEL}")
    return mask
