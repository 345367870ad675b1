"""Where the per-image results of the label and boundary steps live inside a stage's
results folder, and how a step reads the input key of an upstream result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from wsgcn.errors import InputError
from wsgcn.io.h5store import INPUT_KEY, read_arrays
from wsgcn.io.label_png import stored_png_key


def label_path(folder: str | Path, image_id: str) -> Path:
    """The label PNG of ``image_id`` inside a label stage's folder."""
    return Path(folder) / "images" / f"{image_id}.png"


def boundary_path(folder: str | Path, image_id: str) -> Path:
    """The boundary HDF5 file (B and V) of ``image_id`` inside the boundary folder."""
    return Path(folder) / "images" / f"{image_id}.h5"


def scores_path(folder: str | Path, image_id: str) -> Path:
    """The scores (HDF5) beside the label PNG of ``image_id`` that a CRF stage refines: the
    walked scores in an rw folder, the log-probabilities in a gcn folder, the logits in a
    seg folder."""
    return Path(folder) / "images" / f"{image_id}.h5"


def upstream_key(path: Path, reader: Callable[[Path], str | None], what: str) -> str:
    """The input key that ``reader`` finds in the upstream result ``path`` (a ``what``);
    an :class:`InputError` naming the file when it is missing or unreadable."""
    key = reader(path)
    if key is None:
        raise InputError(f"{path}: missing or unreadable {what}; rerun the stage that writes it")
    return key


def read_stored_scores(
    folder: str | Path, image_id: str, names: tuple[str, ...], stage: str
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays ``names`` and the attributes of the scores beside the label PNG of
    ``image_id`` in ``folder``, written by ``stage``; an :class:`InputError` naming the file
    when they were not computed with that PNG (their input keys differ)."""
    source = scores_path(folder, image_id)
    arrays, attrs = read_arrays(source, names)
    if attrs.get(INPUT_KEY) != stored_png_key(label_path(folder, image_id)):
        raise InputError(f"{source}: does not belong to the label PNG beside it; rerun the {stage} stage")
    return arrays, attrs
