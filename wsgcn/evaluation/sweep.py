"""A sweep's comparison table and plot: one row per setting, its changed values, the mIoU
of every stage it reaches and the per-image time of the stages it recomputed."""

from __future__ import annotations

import glob
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from wsgcn.errors import InputError
from wsgcn.evaluation.tables import markdown_table
from wsgcn.io.atomic import atomic_path, write_text_atomic

COVERAGE = " labelled (%)"
"""Suffix of the column that gives a partial-label stage's labelled fraction."""


def read_summary(path: str | Path) -> dict[str, Any]:
    """An evaluation's summary JSON (``miou``, ``images``, ``labelled``)."""
    try:
        summary = json.loads(Path(path).read_text())
        return {key: summary[key] for key in ("miou", "images", "labelled")}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"{path}: not an evaluation summary ({error})") from error


def benchmark_seconds(patterns: Sequence[str]) -> float | None:
    """Summed wall time (s) of the Snakemake benchmark TSVs matching ``patterns``; None without any."""
    files = sorted({path for pattern in patterns for path in glob.glob(pattern)})
    if not files:
        return None
    try:
        return float(sum(pd.read_csv(path, sep="\t")["s"].sum() for path in files))
    except (OSError, KeyError, ValueError, pd.errors.ParserError) as error:
        raise InputError(f"{files[0]}: not a Snakemake benchmark file ({error})") from error


def sweep_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The sweep table. Each row is ``{"setting", "values": {key: value}, "results": [[stage,
    summary JSON, partial?], ...], "timings": [[column, [benchmark globs], images or 0], ...]}``:
    a stage's mIoU (%) and, for partial labels, its labelled percentage; a timing column
    gives seconds per image (or in all, for a training: images 0)."""
    records = []
    for row in rows:
        record: dict[str, Any] = {"setting": row["setting"], **row["values"]}
        for stage, path, partial in row["results"]:
            summary = read_summary(path)
            record[stage] = summary["miou"]
            if partial:
                record[stage + COVERAGE] = 100.0 * summary["labelled"]
        for column, patterns, images in row["timings"]:
            seconds = benchmark_seconds(patterns)
            record[column] = np.nan if seconds is None else seconds / (images or 1)
        records.append(record)
    return pd.DataFrame(records)


def miou_columns(frame: pd.DataFrame, stages: Sequence[str]) -> list[str]:
    """The mIoU columns of ``frame`` among ``stages``, in that order."""
    return [stage for stage in stages if stage in frame.columns]


def sweep_markdown(frame: pd.DataFrame, stages: Sequence[str], title: str) -> str:
    """The table as Markdown under ``title``, each stage's best mIoU in bold."""
    shown = frame.astype(object)
    for column in miou_columns(frame, stages):
        values = pd.to_numeric(frame[column])
        best = values.max()
        shown[column] = [f"**{v:.2f}**" if v == best else f"{v:.2f}" for v in values]
    for column in frame.columns:
        if column not in stages and frame[column].dtype.kind == "f":
            shown[column] = ["-" if np.isnan(v) else f"{v:.3g}" for v in frame[column]]
    return f"# {title}\n\nBest mIoU of each stage in bold.\n\n{markdown_table(shown)}"


def sweep_plot(frame: pd.DataFrame, stages: Sequence[str], key: str, path: str | Path, title: str) -> None:
    """mIoU (%) of every stage against ``key`` (a numeric column), or against the setting
    when ``key`` is empty, one line per stage; written as PNG."""
    figure, axes = plt.subplots(figsize=(7, 4.2), dpi=100)
    if key:
        x = pd.to_numeric(frame[key]).to_numpy()
        order = np.argsort(x, kind="stable")
        axes.set_xlabel(key)
    else:
        x = np.arange(len(frame))
        order = x
        axes.set_xticks(x, list(frame["setting"]), rotation=20, ha="right")
        axes.set_xlabel("setting")
    for column in miou_columns(frame, stages):
        axes.plot(x[order], pd.to_numeric(frame[column]).to_numpy()[order], marker="o", label=column)
    axes.set_ylabel("mIoU (%)")
    axes.set_title(title, fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="best")
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
    plt.close(figure)


def write_sweep(
    rows: Sequence[Mapping[str, Any]],
    stages: Sequence[str],
    title: str,
    plot_key: str,
    csv: str,
    markdown: str,
    plot: str,
) -> pd.DataFrame:
    """Write the sweep's CSV, Markdown and plot; returns the table."""
    frame = sweep_frame(rows)
    write_text_atomic(csv, frame.to_csv(index=False, float_format="%.4f"))
    write_text_atomic(markdown, sweep_markdown(frame, stages, title))
    sweep_plot(frame, stages, plot_key, plot, title)
    return frame
