"""The segmentation training set: which images, which label maps, and their statistics.

A training set names one label source for every training image: a pseudo-label stage
(GCN + CRF by default; GCN, RW, RW + CRF) or the ground-truth masks, so the comparisons
of the paper's Tables 3-4 are one config change. Its manifest lists each image's label
file and that file's key (a pseudo-label PNG's input key, a mask's content digest), so
the segmenter retrains exactly when a label changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from wsgcn.data.classes import IGNORE_LABEL
from wsgcn.errors import InputError
from wsgcn.hashing import file_digest
from wsgcn.io.label_png import read_label_png, stored_png_key
from wsgcn.runtime import derived_seed

LABEL_SOURCES = ("gcn_crf", "gcn", "rw", "rw_crf", "ground_truth", "external")
CONTENT_KEYED = ("ground_truth", "external")
"""Label sources whose files are keyed by their content digest (they carry no input key)."""


def holdout_split(ids: Sequence[str], holdout: int, seed: int) -> tuple[list[str], list[str]]:
    """(train ids, held-out ids): the ``holdout`` ids with the smallest seeded hash are held out.

    Both lists keep the input order; the choice of an id depends only on the id, the seed
    and the ranks of the others' hashes.
    """
    if not 0 < holdout < len(ids):
        raise ValueError(f"holdout must be between 1 and {len(ids) - 1}, got {holdout}")
    held = set(sorted(ids, key=lambda i: derived_seed(seed, "holdout", i))[:holdout])
    return [i for i in ids if i not in held], [i for i in ids if i in held]


def label_key(path: Path, source: str) -> str:
    """The key that identifies a label file's content: its stored input key or its digest."""
    if not path.is_file():
        raise InputError(f"{path}: {source} label file does not exist; rerun the stage that writes it")
    key = stored_png_key(path) if source not in CONTENT_KEYED else None
    return key if key is not None else file_digest(path)


def build_manifest(ids: Sequence[str], source: str, label_path: Callable[[str], Path]) -> dict:
    """The manifest: ``{"source": ..., "images": {id: {"labels": path, "key": key}}}``."""
    if source not in LABEL_SOURCES:
        raise ValueError(f"label source must be one of {LABEL_SOURCES}, got {source!r}")
    images = {}
    for image_id in ids:
        path = label_path(image_id)
        images[image_id] = {"labels": str(path), "key": label_key(path, source)}
    return {"source": source, "images": images}


def check_label_sizes(manifest: Mapping, image_size: Callable[[str], tuple[int, int]]) -> None:
    """An :class:`InputError` naming the first label file of ``manifest`` whose (H, W)
    differs from ``image_size(id)``."""
    for image_id, entry in manifest["images"].items():
        with Image.open(entry["labels"]) as image:
            width, height = image.size
        expected = image_size(image_id)
        if (height, width) != tuple(expected):
            raise InputError(
                f"{entry['labels']}: the label map is {height}x{width}, image {image_id} is {expected[0]}x{expected[1]}"
            )


def label_statistics(manifest: Mapping, class_names: Sequence[str]) -> pd.DataFrame:
    """Per class: images containing it, share of labelled pixels (%); plus an 'ignored (255)' row.

    Shares are over all pixels of the training set.
    """
    num_classes = len(class_names) + 1
    pixels = np.zeros(num_classes + 1, np.int64)
    images = np.zeros(num_classes, np.int64)
    for entry in manifest["images"].values():
        labels = read_label_png(entry["labels"])
        if labels[labels != IGNORE_LABEL].max(initial=0) >= num_classes:
            raise InputError(f"{entry['labels']}: label values outside 0..{num_classes - 1} and 255")
        counts = np.bincount(np.where(labels == IGNORE_LABEL, num_classes, labels).ravel(), minlength=num_classes + 1)
        pixels += counts
        images += counts[:num_classes] > 0
    total = max(int(pixels.sum()), 1)
    return pd.DataFrame(
        {
            "class": ["background", *class_names, "ignored (255)"],
            "images": [*images.tolist(), int(pixels[num_classes] > 0)],
            "pixel_share": 100.0 * pixels / total,
        }
    )
