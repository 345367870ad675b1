"""Canonical JSON, stage hashes and file digests.

A stage's results live in a folder named by a hash of the stage's parameters chained
with its upstream stage's hash, so different settings coexist and switching back to
an earlier setting reuses its results.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

STAGE_HASH_LENGTH = 10


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def stage_hash(params: Any, upstream: str = "") -> str:
    """Short hex hash of ``params`` (any JSON value) chained with ``upstream``'s hash."""
    text = canonical_json({"params": params, "upstream": upstream})
    return hashlib.sha256(text.encode()).hexdigest()[:STAGE_HASH_LENGTH]


def file_digest(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def files_digest(paths: Iterable[str | Path], root: str | Path | None = None) -> str:
    """SHA-256 hex digest over several files' names and contents, in order; names are
    relative to ``root`` when given (as given otherwise)."""
    digest = hashlib.sha256()
    for path in paths:
        name = Path(path).resolve().relative_to(Path(root).resolve()) if root is not None else path
        digest.update(str(name).encode() + b"\0" + file_digest(path).encode() + b"\n")
    return digest.hexdigest()


def text_digest(*parts: str) -> str:
    """SHA-256 hex digest of text parts joined unambiguously."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()
