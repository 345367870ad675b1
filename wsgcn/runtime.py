"""Device selection, thread count and seeding."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import torch

from wsgcn.errors import ConfigError


def select_device(name: str = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cpu`` and ``cuda`` are taken literally."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: 'cuda' requested but no CUDA device is available")
    if name not in ("cpu", "cuda"):
        raise ConfigError(f"device: {name!r} is not one of 'auto', 'cpu', 'cuda'")
    return torch.device(name)


def configure_torch(threads: int) -> None:
    """Use ``threads`` intra-op threads and deterministic algorithms where available."""
    torch.set_num_threads(max(1, threads))
    torch.use_deterministic_algorithms(True, warn_only=True)


def derived_seed(base: int, *parts: object) -> int:
    """A 63-bit seed derived from ``base`` and ``parts`` (e.g. an image id, an epoch)."""
    text = ":".join([str(base), *map(str, parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def seed_all(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
