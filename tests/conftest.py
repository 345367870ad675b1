"""Shared test helpers: project paths, the shared VOC sample, running Snakemake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SHARED_SAMPLE = PROJECT.parent / "shared" / "data" / "voc2012-sample"
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


@pytest.fixture
def voc_sample() -> Path:
    """The 330-image VOC sample beside the project; skipped where it is absent."""
    if not (SHARED_SAMPLE / "JPEGImages").is_dir():
        pytest.skip(f"VOC sample not found at {SHARED_SAMPLE} (../shared is absent on this machine)")
    return SHARED_SAMPLE


def run_snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the project's Snakefile with ``workdir`` as working directory."""
    command = [str(SNAKEMAKE), "-s", str(PROJECT / "Snakefile"), "--directory", str(workdir), *args]
    result = subprocess.run(command, capture_output=True, text=True, cwd=workdir)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result
