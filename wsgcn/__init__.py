"""wsgcn: weakly-supervised semantic segmentation with graph convolutional networks.

A plain Python package: algorithms, I/O and metrics for every stage of the WSGCN
pipeline. It knows nothing of Snakemake; the workflow in ``workflow/`` calls it
through the command line in :mod:`wsgcn.cli`. :func:`wsgcn.refine` applies WSGCN's
refinement to one image's arrays (:mod:`wsgcn.refinement`).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Loaded on first use, by name: an import statement here would make every module of the
    # package depend on the refinement chain (wsgcn.provenance reads import statements),
    # and importing torch would slow the workflow's DAG build.
    if name == "refine":
        return importlib.import_module("wsgcn.refinement").refine
    raise AttributeError(f"module 'wsgcn' has no attribute {name!r}")
