"""A small synthetic dataset in the VOC layout, generated deterministically in seconds.

Each image holds one to three objects of one or two classes on a textured, cluttered
background. A class is defined by its shape *and* its texture; colours are random per
object, so colour alone never identifies a class, and background clutter shares
colours and edge statistics with the objects. Masks carry a 255 band along object
borders, as VOC masks do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from wsgcn.data.classes import IGNORE_LABEL, voc_palette
from wsgcn.data.ids import write_id_list
from wsgcn.io.atomic import atomic_path, write_text_atomic

DEMO_CLASSES: tuple[str, ...] = ("disk", "square", "triangle", "cross")
"""Class names of the demo dataset; mask value i + 1 is DEMO_CLASSES[i]."""


def demo_ids(num_images: int) -> list[str]:
    """The ids of a demo dataset of ``num_images`` images."""
    return [f"demo_{index:04d}" for index in range(num_images)]


def _rng(seed: int, image_id: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{image_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _smooth_noise(rng: np.random.Generator, height: int, width: int, cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1], shape (height, width)."""
    coarse = rng.random((cells + 1, cells + 1))
    image = Image.fromarray((coarse * 255).astype(np.uint8), mode="L").resize((width, height), Image.BICUBIC)
    return np.asarray(image, dtype=np.float64) / 255.0


def _background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Textured background, float RGB in [0, 1], shape (H, W, 3)."""
    base = rng.random(3) * 0.6 + 0.2
    field = np.stack([_smooth_noise(rng, height, width, rng.integers(3, 7)) for _ in range(3)], axis=-1)
    image = 0.55 * base + 0.45 * field
    yy, xx = np.mgrid[0:height, 0:width]
    angle = rng.random() * np.pi
    stripes = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * rng.uniform(0.05, 0.2))
    image += 0.08 * stripes[..., None]
    for _ in range(rng.integers(4, 9)):  # clutter: small blobs and bars with object-like colours
        cy, cx = rng.integers(0, height), rng.integers(0, width)
        ry, rx = rng.integers(3, 12), rng.integers(3, 12)
        if rng.random() < 0.5:
            region = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
        else:
            region = (np.abs(yy - cy) <= ry) & (np.abs(xx - cx) <= rx // 3 + 1)
        image[region] = rng.random(3)
    return image


def _shape_mask(name: str, rng: np.random.Generator, height: int, width: int, size: int) -> np.ndarray:
    """Boolean mask of one object of class ``name`` with bounding box about ``size`` pixels."""
    cy = rng.integers(size // 2, max(size // 2 + 1, height - size // 2))
    cx = rng.integers(size // 2, max(size // 2 + 1, width - size // 2))
    yy, xx = np.mgrid[0:height, 0:width]
    dy, dx = (yy - cy) / (size / 2), (xx - cx) / (size / 2)
    if name == "disk":
        return dx**2 + dy**2 <= 1.0
    if name == "square":
        angle = rng.uniform(-0.4, 0.4)
        u, v = dx * np.cos(angle) + dy * np.sin(angle), -dx * np.sin(angle) + dy * np.cos(angle)
        return (np.abs(u) <= 0.8) & (np.abs(v) <= 0.8)
    if name == "triangle":
        return (dy <= 0.8) & (dy >= -0.9 + 2 * np.abs(dx))
    if name == "cross":
        return ((np.abs(dx) <= 0.28) & (np.abs(dy) <= 1.0)) | ((np.abs(dy) <= 0.28) & (np.abs(dx) <= 1.0))
    raise ValueError(f"unknown demo class {name!r}")


def _texture(name: str, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Class-specific texture modulation in [0, 1], shape (H, W)."""
    yy, xx = np.mgrid[0:height, 0:width]
    period = rng.uniform(5, 8)
    if name == "disk":  # dots
        return ((np.sin(xx * 2 * np.pi / period) * np.sin(yy * 2 * np.pi / period)) > 0.3).astype(float)
    if name == "square":  # checkerboard
        return (((xx // period).astype(int) + (yy // period).astype(int)) % 2).astype(float)
    if name == "triangle":  # horizontal stripes
        return (np.sin(yy * 2 * np.pi / period) > 0).astype(float)
    return rng.random((height, width))  # cross: speckle


def _ignore_band(mask: np.ndarray, width: int = 1) -> np.ndarray:
    """Pixels within ``width`` of a change of label (the VOC 'void' border)."""
    band = np.zeros(mask.shape, dtype=bool)
    for shift in range(1, width + 1):
        for axis in (0, 1):
            for direction in (1, -1):
                band |= mask != np.roll(mask, direction * shift, axis=axis)
    return band


def render_demo_image(
    image_id: str, seed: int, class_names: Sequence[str], size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Render one demo image: RGB uint8 (H, W, 3) and its mask uint8 (H, W).

    ``size`` is the nominal (height, width); each image varies it by up to 20 %.
    """
    rng = _rng(seed, image_id)
    height = int(size[0] * rng.uniform(0.85, 1.15))
    width = int(size[1] * rng.uniform(0.85, 1.15))
    image = _background(rng, height, width)
    mask = np.zeros((height, width), dtype=np.uint8)
    chosen = rng.choice(len(class_names), size=rng.integers(1, 3), replace=False)
    for class_index in chosen:
        for _ in range(rng.integers(1, 3)):
            side = int(min(height, width) * rng.uniform(0.3, 0.6))
            region = _shape_mask(class_names[class_index], rng, height, width, side)
            colour, shade = rng.random(3), rng.random(3)
            texture = _texture(class_names[class_index], rng, height, width)[..., None]
            image[region] = (colour * (1 - texture) + shade * texture)[region] * 0.9 + 0.05
            mask[region] = class_index + 1
    image += rng.normal(0.0, 0.03, image.shape)
    rgb = (np.clip(image, 0.0, 1.0) * 255).round().astype(np.uint8)
    mask[_ignore_band(mask)] = IGNORE_LABEL
    return rgb, mask


def _annotation_xml(image_id: str, mask: np.ndarray, class_names: Sequence[str]) -> str:
    height, width = mask.shape
    objects = []
    for value in sorted(set(np.unique(mask).tolist()) - {0, IGNORE_LABEL}):
        ys, xs = np.nonzero(mask == value)
        objects.append(
            f"  <object>\n    <name>{class_names[value - 1]}</name>\n    <difficult>0</difficult>\n"
            f"    <bndbox><xmin>{xs.min() + 1}</xmin><ymin>{ys.min() + 1}</ymin>"
            f"<xmax>{xs.max() + 1}</xmax><ymax>{ys.max() + 1}</ymax></bndbox>\n  </object>\n"
        )
    return (
        f"<annotation>\n  <filename>{image_id}.jpg</filename>\n"
        f"  <size><width>{width}</width><height>{height}</height><depth>3</depth></size>\n"
        + "".join(objects)
        + "</annotation>\n"
    )


def write_demo_dataset(root: str | Path, num_images: int, seed: int, size: tuple[int, int]) -> list[str]:
    """Write a demo dataset in the VOC layout under ``root``; returns its ids.

    Writes ``JPEGImages``, ``SegmentationClass`` (palette PNG), ``Annotations`` (XML),
    ``labels.csv`` and ``ImageSets/Segmentation/train.txt``. Every file is written
    atomically; the same arguments give byte-identical files.
    """
    root = Path(root)
    ids = demo_ids(num_images)
    palette = voc_palette().flatten().tolist()
    csv_rows = ["image_id,labels"]
    for image_id in ids:
        rgb, mask = render_demo_image(image_id, seed, DEMO_CLASSES, size)
        with atomic_path(root / "JPEGImages" / f"{image_id}.jpg") as tmp:
            Image.fromarray(rgb).save(tmp, format="JPEG", quality=90)
        png = Image.fromarray(mask, mode="P")
        png.putpalette(palette)
        with atomic_path(root / "SegmentationClass" / f"{image_id}.png") as tmp:
            png.save(tmp, format="PNG")
        write_text_atomic(root / "Annotations" / f"{image_id}.xml", _annotation_xml(image_id, mask, DEMO_CLASSES))
        present = [DEMO_CLASSES[v - 1] for v in sorted(set(np.unique(mask).tolist()) - {0, IGNORE_LABEL})]
        csv_rows.append(f"{image_id},{' '.join(present)}")
    write_text_atomic(root / "labels.csv", "\n".join(csv_rows) + "\n")
    (root / "ImageSets" / "Segmentation").mkdir(parents=True, exist_ok=True)
    write_id_list(root / "ImageSets" / "Segmentation" / "train.txt", ids)
    return ids
