"""Where the CAM stage's per-image results live and how their maps are stored (imported
by the later stages, which read them)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from wsgcn.io.h5store import read_arrays
from wsgcn.io.precision import from_unit_levels, round_mantissa, to_unit_levels

CAM_MAPS = ("cam", "high_res")

EXTERNAL_FORMATS = {"irn_npy": ".npy", "npy": ".npy", "h5": ".h5"}
"""The formats of another method's CAM files (``cam.external.format``) -> file suffix."""


def cam_result_path(cam_dir: str | Path, image_id: str) -> Path:
    """Where the CAM HDF5 file of ``image_id`` lives inside a CAM results folder."""
    return Path(cam_dir) / "images" / f"{image_id}.h5"


def external_cam_path(folder: str | Path, image_id: str, file_format: str) -> Path:
    """The external CAM file of ``image_id`` in ``folder`` for ``file_format``."""
    if file_format not in EXTERNAL_FORMATS:
        raise ValueError(f"cam.external.format: unknown format {file_format!r} ({', '.join(EXTERNAL_FORMATS)})")
    return Path(folder) / f"{image_id}{EXTERNAL_FORMATS[file_format]}"


def unlisted_external_ids(folder: str | Path, file_format: str, ids: Sequence[str]) -> list[str]:
    """The ids of the ``file_format`` files in ``folder`` that are not in ``ids`` (sorted):
    files the run will not read."""
    suffix = EXTERNAL_FORMATS[file_format]
    listed = set(ids)
    return sorted(
        path.name[: -len(suffix)] for path in Path(folder).glob(f"*{suffix}") if path.name[: -len(suffix)] not in listed
    )


def encode_cam_map(values: np.ndarray, storage: str, mantissa_bits: int) -> np.ndarray:
    """A normalised CAM map in [0, 1] as stored: uint8 levels (``storage`` "uint8"),
    float16 with ``mantissa_bits`` mantissa bits ("float16") or float32 as computed."""
    if storage == "uint8":
        return to_unit_levels(values)
    if storage == "float16":
        return round_mantissa(values, mantissa_bits)
    if storage == "float32":
        return np.asarray(values, dtype=np.float32)
    raise ValueError(f"cam.infer.storage: unknown storage {storage!r} (uint8, float16 or float32)")


def read_cam(path: str | Path, names: Sequence[str]) -> dict[str, np.ndarray]:
    """The arrays ``names`` of a CAM file; ``cam`` and ``high_res`` as float32 in [0, 1]
    whichever way they were stored, ``keys`` as int64."""
    arrays, _ = read_arrays(path, tuple(names))
    decoded = {}
    for name, array in arrays.items():
        if name in CAM_MAPS:
            decoded[name] = from_unit_levels(array) if array.dtype == np.uint8 else array.astype(np.float32)
        elif name == "keys":
            decoded[name] = array.astype(np.int64)
        else:
            decoded[name] = array
    return decoded
