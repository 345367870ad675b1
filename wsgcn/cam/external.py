"""CAMs computed by another method, checked and brought into this project's CAM layout.

Formats (``cam.external.format``):

* ``irn_npy``: IRNet's ``make_cam`` output, as its forks (ReCAM, AMN, POT) write it: a
  pickled dict with ``keys`` (K,) 0-based foreground classes, ``high_res`` (K, H, W) and
  optionally ``cam`` (K, ceil(H/4), ceil(W/4)); arrays or torch tensors. Read with the
  restricted unpickler of :mod:`wsgcn.io.safe_pickle`.
* ``npy``: a plain float array (K, H, W), one map per image-level class in ascending order.
* ``h5``: this project's CAM file (``keys``, ``cam``, ``high_res``).

Maps outside [0, 1] are normalised per class as IRNet does (negative values to 0, then
divided by the class's maximum + 1e-5). A missing stride-4 map is the high-resolution map
resized (bilinear, antialiased) and normalised the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from wsgcn.cam.files import EXTERNAL_FORMATS, read_cam
from wsgcn.cam.infer import normalise_per_class
from wsgcn.errors import InputError
from wsgcn.io.safe_pickle import read_npy


@dataclass(frozen=True)
class ExternalCam:
    """One image's CAMs: ``keys`` (K,) int64 ascending; ``cam`` (K, ceil(H/4), ceil(W/4))
    and ``high_res`` (K, H, W), float32 in [0, 1]."""

    keys: np.ndarray
    cam: np.ndarray
    high_res: np.ndarray


def read_external_cam(
    path: str | Path, file_format: str, image_keys: Sequence[int], size: tuple[int, int], keys_from_file: bool
) -> ExternalCam:
    """The CAMs in ``path`` (a ``file_format`` file) of an image of working size ``size``
    (H, W) whose image-level classes are ``image_keys`` (0-based). With ``keys_from_file``
    the file's own keys are used; otherwise they must be the image's. An
    :class:`InputError` names the file and the problem."""
    path = Path(path)
    keys, high_res, cam = _raw_maps(path, file_format, image_keys)
    if keys.ndim != 1 or not np.issubdtype(keys.dtype, np.integer):
        raise InputError(f"{path}: keys must be a 1-D array of class indices, got {keys.dtype} {keys.shape}")
    if high_res.ndim != 3 or high_res.shape[0] != len(keys):
        raise InputError(f"{path}: {_count(high_res)} high-resolution maps for {len(keys)} keys {keys.tolist()}")
    if tuple(high_res.shape[1:]) != tuple(size):
        raise InputError(f"{path}: maps are {high_res.shape[1]}x{high_res.shape[2]}, the image is {size[0]}x{size[1]}")
    if not keys_from_file and sorted(keys.tolist()) != sorted(int(key) for key in image_keys):
        raise InputError(f"{path}: keys {keys.tolist()} differ from the image's classes {sorted(image_keys)}")
    if len(set(keys.tolist())) != len(keys):
        raise InputError(f"{path}: repeated keys {keys.tolist()}")
    strided = (math.ceil(size[0] / 4), math.ceil(size[1] / 4))
    if cam is not None and (cam.ndim != 3 or cam.shape[0] != len(keys) or tuple(cam.shape[1:]) != strided):
        raise InputError(
            f"{path}: the stride-4 map is {tuple(cam.shape)}, expected ({len(keys)}, {strided[0]}, {strided[1]})"
        )
    for name, maps in (("high_res", high_res), ("cam", cam)):
        if maps is not None and not np.isfinite(maps).all():
            raise InputError(f"{path}: {name} contains NaN or Inf")
    order = np.argsort(keys, kind="stable")
    high_res = _unit_maps(high_res[order])
    cam = _unit_maps(cam[order]) if cam is not None else strided_from_high_res(high_res, strided)
    return ExternalCam(keys[order].astype(np.int64), cam, high_res)


def _raw_maps(
    path: Path, file_format: str, image_keys: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(keys, high_res, cam or None) as stored, before any check."""
    if file_format == "h5":
        arrays = read_cam(path, ("keys", "cam", "high_res"))
        return arrays["keys"], arrays["high_res"], arrays["cam"]
    content = read_npy(path)
    if file_format == "npy":
        if not isinstance(content, np.ndarray) or not np.issubdtype(content.dtype, np.floating):
            raise InputError(f"{path}: expected a float array (K, H, W), got {type(content).__name__}")
        return np.asarray(sorted(int(key) for key in image_keys), dtype=np.int64), content, None
    if file_format != "irn_npy":
        raise ValueError(f"cam.external.format: unknown format {file_format!r} ({', '.join(EXTERNAL_FORMATS)})")
    if not isinstance(content, dict) or "keys" not in content or "high_res" not in content:
        raise InputError(f"{path}: expected IRNet's dict with 'keys' and 'high_res' (and optionally 'cam')")
    cam = content.get("cam")
    return _array(content["keys"]), _array(content["high_res"]), None if cam is None else _array(cam)


def _array(value: Any) -> np.ndarray:
    """A numpy array of a stored array or (CPU) torch tensor."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _count(maps: np.ndarray) -> str:
    return str(maps.shape[0]) if maps.ndim == 3 else f"an array of shape {maps.shape}, not"


def _unit_maps(maps: np.ndarray) -> np.ndarray:
    """``maps`` (K, h, w) as float32; normalised per class as IRNet does unless already in [0, 1]."""
    maps = maps.astype(np.float32)
    if maps.size == 0 or (maps.min() >= 0 and maps.max() <= 1):
        return maps
    return normalise_per_class(torch.from_numpy(np.maximum(maps, 0))).numpy()


def strided_from_high_res(high_res: np.ndarray, strided: tuple[int, int]) -> np.ndarray:
    """A stride-4 map (K, ceil(H/4), ceil(W/4)) from ``high_res`` (K, H, W) in [0, 1]."""
    if high_res.shape[0] == 0:
        return np.zeros((0, *strided), np.float32)
    resized = F.interpolate(
        torch.from_numpy(high_res)[None], strided, mode="bilinear", align_corners=False, antialias=True
    )[0]
    return normalise_per_class(resized.clamp(min=0)).numpy()
