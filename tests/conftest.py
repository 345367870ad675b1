"""Shared test helpers: project paths, the shared VOC sample, running Snakemake."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from wsgcn.config_schema import config_section
from wsgcn.data.dataset import Dataset, dataset_from_config

PROJECT = Path(__file__).resolve().parents[1]
SHARED_SAMPLE = PROJECT.parent / "shared" / "data" / "voc2012-sample"
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


@pytest.fixture
def voc_sample() -> Path:
    """The 330-image VOC sample beside the project; skipped where it is absent."""
    if not (SHARED_SAMPLE / "JPEGImages").is_dir():
        pytest.skip(f"VOC sample not found at {SHARED_SAMPLE} (../shared is absent on this machine)")
    return SHARED_SAMPLE


def run_snakemake(
    workdir: Path, *args: str, check: bool = True, env: dict[str, str] | None = None, project: Path = PROJECT
) -> subprocess.CompletedProcess[str]:
    """Run ``project``'s Snakefile with ``workdir`` as working directory; ``env`` adds
    environment variables."""
    command = [str(SNAKEMAKE), "-s", str(project / "Snakefile"), "--directory", str(workdir), *args]
    result = subprocess.run(command, capture_output=True, text=True, cwd=workdir, env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


class _TableParser(HTMLParser):
    """Collects every <table id=...> as rows of (text, data-value or None) cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[tuple[str, str | None]]]] = {}
        self._table: str | None = None
        self._cell: list | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table":
            self._table = attributes.get("id")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag == "td" and self._table is not None:
            self._cell = ["", attributes.get("data-value")]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.tables[self._table][-1].append((self._cell[0], self._cell[1]))
            self._cell = None
        elif tag == "table":
            self._table = None


def html_tables(text: str) -> dict[str, list[list[tuple[str, str | None]]]]:
    """Table id -> body rows (header rows, which have no <td>, are dropped)."""
    parser = _TableParser()
    parser.feed(text)
    return {name: [row for row in rows if row] for name, rows in parser.tables.items()}


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def rendered_dom(page: Path) -> str:
    """The DOM of ``page`` after loading it in headless Chromium (scripts run).

    Skipped where Chromium is absent, unless WSGCN_REQUIRE_BROWSER=1 (CI), where that fails.
    """
    if CHROMIUM is None:
        if os.environ.get("WSGCN_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium not found but WSGCN_REQUIRE_BROWSER=1 (apt-get install chromium)")
        pytest.skip("Chromium not installed (apt-get install chromium to run the browser check)")
    with tempfile.TemporaryDirectory() as profile:
        command = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.resolve().as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def make_dataset(
    root: str | Path, class_names: Sequence[str], label_source: str = "xml", label_csv: str | Path | None = None
) -> Dataset:
    """A :class:`Dataset` as the workflow builds it: the schema's defaults for every key not given."""
    labels = {"source": label_source, **({"csv": str(label_csv)} if label_csv is not None else {})}
    return dataset_from_config({"root": str(root), "class_names": list(class_names), "labels": labels})


def published(section: str, **overrides: Any) -> dict[str, Any]:
    """The schema's defaults of config section ``section`` (e.g. ``"random_walk"``), with ``overrides``."""
    return {**config_section(section), **overrides}


def walk_graph_args() -> dict[str, Any]:
    """IRNet's graph settings from the schema's ``random_walk`` section: radius, beta, exp_times."""
    walk = config_section("random_walk")
    return {key: walk[key] for key in ("radius", "beta", "exp_times")}


def fast_graph_options(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments of ``coarse_graph``: the schema's graph and ``gcn.graph`` settings."""
    graph = {key: value for key, value in config_section("gcn.graph").items() if key != "mode"}
    return {**walk_graph_args(), **graph, **overrides}
