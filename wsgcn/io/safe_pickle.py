""".npy files from other projects, read without running their code.

IRNet's ``make_cam`` and its forks save a dict as a 0-d object array (``np.save`` of a
dict), which is a pickle: loading it with numpy's pickle support switched on would run any
code the file names. Here the pickle goes through an unpickler that rebuilds only numpy
arrays and dtypes, torch tensors and their storages, and builtin containers, and refuses
every other global with an :class:`InputError` that names the file and the global. A
tensor's storage is itself a ``torch.save`` archive inside the pickle; it is read with
``torch.load(..., weights_only=True)``, PyTorch's own restricted loader.
"""

from __future__ import annotations

import collections
import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from wsgcn.errors import InputError


def _numpy_multiarray(name: str) -> Any:
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    return getattr(multiarray, name)


def _torch_global(name: str) -> Any:
    import torch._utils

    return getattr(torch._utils, name)


# (module, name) a pickle may name -> a function giving the object it gets under that name
_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
    **{
        (module, name): lambda name=name: _numpy_multiarray(name)
        for module in ("numpy.core.multiarray", "numpy._core.multiarray")  # written by numpy < 2, >= 2
        for name in ("_reconstruct", "scalar")
    },
    ("collections", "OrderedDict"): lambda: collections.OrderedDict,
    ("builtins", "set"): lambda: set,
    ("builtins", "frozenset"): lambda: frozenset,
    ("_codecs", "encode"): lambda: __import__("_codecs").encode,  # protocol-2 pickles of bytes
    ("torch._utils", "_rebuild_tensor"): lambda: _torch_global("_rebuild_tensor"),
    ("torch._utils", "_rebuild_tensor_v2"): lambda: _torch_global("_rebuild_tensor_v2"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, stream: io.BufferedIOBase, path: Path) -> None:
        super().__init__(stream)
        self._path = path

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch.storage", "_load_from_bytes"):
            return self._storage_from_bytes
        factory = _ALLOWED.get((module, name))
        if factory is None:
            raise InputError(
                f"{self._path}: refused to unpickle {module}.{name} (only numpy arrays, torch tensors and"
                " builtin containers are read from a pickled file)"
            )
        return factory()

    def _storage_from_bytes(self, data: bytes) -> Any:
        """A tensor's storage: a ``torch.save`` archive inside the pickle, read by PyTorch's
        restricted loader."""
        import torch

        try:
            return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as error:
            # PyTorch's message names the refused global on one of its lines
            lines = [line.strip() for line in str(error).splitlines() if "GLOBAL" in line]
            reason = lines[0] if lines else "PyTorch's weights-only loader refused it"
            raise InputError(f"{self._path}: refused a tensor storage that names other code ({reason})") from None

    def persistent_load(self, pid: Any) -> Any:
        raise InputError(f"{self._path}: refused a persistent reference in the pickle ({pid!r})")


def read_npy(path: str | Path) -> Any:
    """The contents of a ``.npy`` file: the array, or for an object array (a pickle) what it
    holds (the dict of IRNet's CAM files), read with the restricted unpickler. An
    :class:`InputError` names the file when it is missing, not a ``.npy`` file, or refused."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file does not exist")
    try:
        with path.open("rb") as handle:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                _, _, dtype = np.lib.format.read_array_header_1_0(handle)
            else:
                _, _, dtype = np.lib.format.read_array_header_2_0(handle)
            if not dtype.hasobject:
                return np.load(path, allow_pickle=False)
            loaded = _RestrictedUnpickler(handle, path).load()
    except InputError:
        raise
    except (ValueError, OSError, EOFError, pickle.UnpicklingError, RuntimeError, TypeError) as error:
        raise InputError(f"{path}: not a readable .npy file ({error})") from error
    if isinstance(loaded, np.ndarray) and loaded.dtype.hasobject and loaded.shape == ():
        return loaded.item()
    return loaded
