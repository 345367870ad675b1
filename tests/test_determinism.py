"""Determinism: the same config and inputs give byte-identical labels and tables, whatever
the sharding of the images."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_snakemake
from test_workflow import tiny_cam_config, write_config


def _outputs(results: Path) -> dict[Path, bytes]:
    """Every label PNG and table (CSV, Markdown) of a run, by path inside its results folder."""
    return {
        path.relative_to(results): path.read_bytes()
        for path in sorted(results.rglob("*"))
        if path.suffix in (".png", ".csv", ".md")
    }


@pytest.mark.slow
def test_two_runs_with_different_shards_give_identical_labels_and_tables(tmp_path: Path):
    runs = {}
    for images_per_shard in (4, 3):
        workdir = tmp_path / f"shards-of-{images_per_shard}"
        workdir.mkdir()
        config = tiny_cam_config()
        config["sharding"]["images_per_shard"] = images_per_shard
        run_snakemake(workdir, "--cores", "2", "--configfile", write_config(workdir, config))
        runs[images_per_shard] = _outputs(workdir / "results")
    first, second = runs.values()
    assert len([p for p in first if p.suffix == ".png"]) > 12 * 6  # labels of every stage
    assert first.keys() == second.keys()
    assert [str(p) for p in first if first[p] != second[p]] == []
