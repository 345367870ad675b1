"""Class names and the VOC colour palette."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

VOC_CLASSES: tuple[str, ...] = (
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)
"""The 20 PASCAL VOC foreground classes in their canonical (alphabetical) order.

Label value ``i + 1`` in a mask is ``VOC_CLASSES[i]``; 0 is background, 255 is ignore.
"""

IGNORE_LABEL = 255


def plane_labels(keys: Sequence[int]) -> np.ndarray:
    """Label of each score plane (K + 1,) uint8: plane 0 is background (0), plane i is
    class ``keys[i - 1] + 1``; index it with an argmax over [background; K class planes]."""
    return np.concatenate([[0], np.asarray(keys, dtype=np.int64) + 1]).astype(np.uint8)


def voc_palette() -> np.ndarray:
    """The PASCAL VOC colour map, shape (256, 3), uint8 (bit-interleaved label index)."""
    palette = np.zeros((256, 3), dtype=np.uint8)
    for label in range(256):
        value, r, g, b = label, 0, 0, 0
        for bit in range(8):
            r |= ((value >> 0) & 1) << (7 - bit)
            g |= ((value >> 1) & 1) << (7 - bit)
            b |= ((value >> 2) & 1) << (7 - bit)
            value >>= 3
        palette[label] = (r, g, b)
    return palette
