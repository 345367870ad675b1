"""One HDF5 file per image: named arrays plus attributes, written atomically.

Every file carries an ``input_key`` attribute: a digest of everything its contents
were computed from (stage parameters, model, code, image bytes, labels). A stage
reuses a stored file exactly when its key matches the key it would compute now.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from wsgcn.errors import InputError
from wsgcn.io.atomic import atomic_path

INPUT_KEY = "input_key"


def write_arrays(path: str | Path, arrays: Mapping[str, np.ndarray], attrs: Mapping[str, Any]) -> None:
    """Write ``arrays`` and ``attrs``.

    Arrays of >= 1024 elements are compressed (gzip level 9 + shuffle), chunked by their
    last two axes (one chunk per image plane).
    """
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as handle:
        for name, array in arrays.items():
            array = np.asarray(array)
            if array.size >= 1024:
                chunks = (1,) * (array.ndim - 2) + array.shape[-2:] if array.ndim >= 2 else None
                handle.create_dataset(
                    name, data=array, chunks=chunks, compression="gzip", compression_opts=9, shuffle=True
                )
            else:
                handle.create_dataset(name, data=array)
        for name, value in attrs.items():
            handle.attrs[name] = value


def read_arrays(path: str | Path, names: tuple[str, ...] | None = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read arrays (all, or ``names``) and attributes from an HDF5 file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: result file does not exist")
    try:
        with h5py.File(path, "r") as handle:
            wanted = names if names is not None else tuple(handle.keys())
            missing = [n for n in wanted if n not in handle]
            if missing:
                raise InputError(f"{path}: missing datasets {missing}")
            arrays = {name: handle[name][()] for name in wanted}
            attrs = {name: handle.attrs[name] for name in handle.attrs}
    except OSError as error:
        raise InputError(f"{path}: cannot read HDF5 file ({error})") from error
    return arrays, attrs


def stored_key(path: str | Path) -> str | None:
    """The ``input_key`` of a stored result, or None if absent or unreadable."""
    try:
        with h5py.File(path, "r") as handle:
            value = handle.attrs.get(INPUT_KEY)
    except (OSError, KeyError):
        return None
    return str(value) if value is not None else None
