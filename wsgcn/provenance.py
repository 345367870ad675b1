"""Which source files a stage's results depend on.

Snakemake's ``code`` trigger sees only a rule's own code, not the modules it imports.
The workflow therefore declares, as inputs of each rule, the ``wsgcn`` source files
that the rule's entry module imports (transitively, found by reading the import
statements, without importing anything), so that editing one reruns the stage.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from wsgcn.hashing import files_digest

PACKAGE_ROOT = Path(__file__).resolve().parent
PACKAGE_NAME = "wsgcn"


def _module_file(module: str) -> Path | None:
    parts = module.split(".")
    if parts[0] != PACKAGE_NAME:
        return None
    base = PACKAGE_ROOT.joinpath(*parts[1:])
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


@cache  # the workflow asks for the sources of every step: parse each file once
def _imported_modules(source: Path, module: str) -> frozenset[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    package = module if source.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(found)


def module_sources(*modules: str) -> list[Path]:
    """Sorted source files of ``modules`` and every ``wsgcn`` module they import."""
    seen: dict[str, Path] = {}
    pending = list(modules)
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        path = _module_file(module)
        if path is None:
            continue
        seen[module] = path
        parent = module.rsplit(".", 1)[0]
        if parent != module:
            pending.append(parent)
        pending.extend(_imported_modules(path, module))
    return sorted(set(seen.values()))


def sources_digest(paths: Iterable[str | Path]) -> str:
    """Digest of source files of the package, named relative to its parent folder, so that
    a checkout moved or mounted at another path (on another cluster node) keeps its keys."""
    return files_digest(paths, root=PACKAGE_ROOT.parent)


def code_digest(module: str) -> str:
    """Digest of the source files ``module`` runs (part of every per-image result key)."""
    return sources_digest(module_sources(module))
