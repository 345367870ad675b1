"""Compare two results folders of the workflow file by file; exit 1 on any difference.

Usage: python .ci/compare_results.py [--values-only] RESULTS_A RESULTS_B

Label PNGs, tables (CSV, Markdown), manifests (JSON), lists and parameter records must be
byte-identical; HDF5 files must hold equal arrays and attributes (HDF5 metadata may
differ); PyTorch files (weights, checkpoints) equal tensors and values. The HTML report
is skipped: it embeds the run's timings.

``--values-only`` compares two runs of different code: every per-image key includes a
digest of the code, so it compares label PNGs by their pixels, HDF5 files without their
``input_key`` attribute, PyTorch files by their tensors, and skips the JSON files (the
shard manifests, training-set manifests and input-check records, which hold keys).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
from PIL import Image

INPUT_KEY = "input_key"

SKIPPED = {".html"}
BYTEWISE = {".png", ".csv", ".md", ".json", ".txt", ".yaml"}


def _h5_content(path: Path) -> dict[str, Any]:
    content: dict[str, Any] = {}
    with h5py.File(path, "r") as handle:
        content["/"] = dict(handle.attrs)

        def visit(name: str, item: Any) -> None:
            content[name] = (item[()] if isinstance(item, h5py.Dataset) else None, dict(item.attrs))

        handle.visititems(visit)
    return content


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=False))
    return type(a) is type(b) and a == b


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


def _tensors(value: Any) -> Any:
    """The tensors of a loaded PyTorch file, without its other values (run keys)."""
    if isinstance(value, dict):
        kept = {key: _tensors(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item is not None}
    return value if isinstance(value, torch.Tensor) else None


def same_values(a: Path, b: Path) -> bool:
    if a.suffix == ".png":
        return np.array_equal(_pixels(a), _pixels(b))
    if a.suffix == ".h5":
        first, second = _h5_content(a), _h5_content(b)
        for content in (first, second):
            content["/"].pop(INPUT_KEY, None)
        return _equal(first, second)
    if a.suffix == ".pt":
        return _equal(_tensors(torch.load(a, weights_only=True)), _tensors(torch.load(b, weights_only=True)))
    return same_file(a, b)


def same_file(a: Path, b: Path) -> bool:
    if a.suffix in BYTEWISE:
        return a.read_bytes() == b.read_bytes()
    if a.suffix == ".h5":
        return _equal(_h5_content(a), _h5_content(b))
    if a.suffix == ".pt":
        return _equal(torch.load(a, weights_only=True), torch.load(b, weights_only=True))
    return a.read_bytes() == b.read_bytes()


def main() -> int:
    arguments = sys.argv[1:]
    values_only = "--values-only" in arguments
    first, second = (Path(arg) for arg in arguments if arg != "--values-only")
    skipped = SKIPPED | ({".json"} if values_only else set())
    files = {p.relative_to(first) for p in first.rglob("*") if p.is_file() and p.suffix not in skipped}
    others = {p.relative_to(second) for p in second.rglob("*") if p.is_file() and p.suffix not in skipped}
    same = same_values if values_only else same_file
    problems = [f"only in {first}: {p}" for p in sorted(files - others)]
    problems += [f"only in {second}: {p}" for p in sorted(others - files)]
    problems += [f"differs: {p}" for p in sorted(files & others) if not same(first / p, second / p)]
    by_suffix: dict[str, int] = {}
    for path in files & others:
        by_suffix[path.suffix] = by_suffix.get(path.suffix, 0) + 1
    counts = ", ".join(f"{n} {suffix}" for suffix, n in sorted(by_suffix.items()))
    if problems:
        print("\n".join(problems[:50]))
        print(f"{len(problems)} differences between {first} and {second} ({counts} compared)")
        return 1
    print(f"identical: {len(files)} files of {first} and {second} ({counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
