"""Image-level labels: which foreground classes an image contains.

Labels are returned as a sorted tuple of 0-based foreground class indices ("keys"),
index ``i`` meaning ``class_names[i]`` and mask value ``i + 1``.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from wsgcn.data.ids import validate_image_id
from wsgcn.data.images import load_mask
from wsgcn.errors import InputError


def labels_from_xml(path: str | Path, class_names: Sequence[str]) -> tuple[int, ...]:
    """Classes named by ``<name>`` elements of a VOC annotation.

    Names that are not class names (VOC part names such as ``head``) are skipped;
    difficult and truncated objects count, as in IRNet's ``cls_labels.npy``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: annotation file does not exist")
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise InputError(f"{path}: invalid XML ({error})") from error
    index = {name: i for i, name in enumerate(class_names)}
    found = {
        index[element.text.strip()] for element in root.iter("name") if element.text and element.text.strip() in index
    }
    return tuple(sorted(found))


def labels_from_mask(path: str | Path, class_names: Sequence[str]) -> tuple[int, ...]:
    """Classes present in a segmentation mask (values 1..C; 0 and 255 are not classes)."""
    mask = load_mask(path, num_classes=len(class_names) + 1)
    values = np.unique(mask)
    return tuple(int(v) - 1 for v in values if 0 < v <= len(class_names))


def read_label_csv(path: str | Path, class_names: Sequence[str]) -> dict[str, tuple[int, ...]]:
    """Read a CSV with a header ``image_id,labels``.

    ``labels`` holds class names separated by spaces or ``;`` (empty: no foreground).
    Unknown class names and duplicate ids are errors naming the line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: label CSV does not exist")
    index = {name: i for i, name in enumerate(class_names)}
    table: dict[str, tuple[int, ...]] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"image_id", "labels"} <= set(reader.fieldnames):
            raise InputError(f"{path}: expected a header with columns 'image_id' and 'labels'")
        for row in reader:
            where = f"{path}:{reader.line_num}"
            image_id = validate_image_id((row["image_id"] or "").strip(), where=where)
            if image_id in table:
                raise InputError(f"{where}: duplicate image id {image_id!r}")
            names = (row["labels"] or "").replace(";", " ").split()
            unknown = [n for n in names if n not in index]
            if unknown:
                raise InputError(f"{where}: unknown class names {unknown} (known: {list(class_names)})")
            table[image_id] = tuple(sorted({index[n] for n in names}))
    return table


def multi_hot(keys: Sequence[int], num_foreground: int) -> np.ndarray:
    """Keys as a float32 multi-hot vector of length ``num_foreground``."""
    vector = np.zeros(num_foreground, dtype=np.float32)
    vector[list(keys)] = 1.0
    return vector
