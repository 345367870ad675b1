"""What the report says about the run itself: software versions and rule timings."""

from __future__ import annotations

import glob
import platform
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata

import pandas as pd

PACKAGES = (
    "wsgcn",
    "snakemake",
    "torch",
    "torchvision",
    "numpy",
    "h5py",
    "pandas",
    "pillow",
    "matplotlib",
    "pydensecrf2",
)


def software_versions() -> pd.DataFrame:
    """Python, platform and the versions of the packages the pipeline uses."""
    rows = [("python", sys.version.split()[0]), ("platform", platform.platform())]
    for package in PACKAGES:
        try:
            rows.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            rows.append((package, "not installed"))
    try:
        import torch

        rows.append(("CUDA available", str(torch.cuda.is_available())))
    except ImportError:
        pass
    return pd.DataFrame(rows, columns=["software", "version"])


def rule_timings(patterns: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Per step: jobs, summed wall time (s), longest job (s), peak RSS (MB) from Snakemake benchmark TSVs.

    ``patterns`` maps a step name to glob patterns of its benchmark files; steps without
    files are left out.
    """
    rows = []
    for step, step_patterns in patterns.items():
        files = sorted({path for pattern in step_patterns for path in glob.glob(pattern)})
        frames = [pd.read_csv(path, sep="\t") for path in files]
        frames = [frame for frame in frames if len(frame)]
        if not frames:
            continue
        table = pd.concat(frames)
        rss = pd.to_numeric(table["max_rss"], errors="coerce")
        rows.append(
            {
                "step": step,
                "jobs": len(frames),
                "wall time (s)": float(table["s"].sum()),
                "longest job (s)": float(table["s"].max()),
                "peak RSS (MB)": float(rss.max()) if rss.notna().any() else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=["step", "jobs", "wall time (s)", "longest job (s)", "peak RSS (MB)"])
