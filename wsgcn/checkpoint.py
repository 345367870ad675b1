"""Training checkpoints: written atomically, loaded without unpickling arbitrary objects."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from wsgcn.errors import InputError
from wsgcn.io.atomic import write_bytes_atomic


def save_torch_file(path: str | Path, state: Any) -> None:
    """``torch.save`` ``state`` to ``path`` atomically and reproducibly: the same state
    gives the same bytes (saved to a file, torch names the archive's root folder after the
    file, here a random temporary name; saved to a buffer, it uses a fixed name)."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_bytes_atomic(path, buffer.getvalue())


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """Save ``state`` (tensors, numbers, strings, dicts, lists) atomically."""
    save_torch_file(path, state)


def load_checkpoint(path: str | Path) -> dict[str, Any] | None:
    """Load a checkpoint with ``weights_only=True``; None if the file does not exist."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for corrupt files
        raise InputError(f"{path}: cannot load checkpoint ({error}); delete it to start over") from error
