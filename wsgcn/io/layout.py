"""Where the per-image results of the label and boundary steps live inside a stage's
results folder, and how a step reads the input key of an upstream result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from wsgcn.errors import InputError


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
