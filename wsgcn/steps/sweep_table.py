"""Step ``sweep-table``: a sweep's comparison table (CSV, Markdown) and plot (PNG)."""

from __future__ import annotations

from wsgcn.evaluation.sweep import write_sweep
from wsgcn.params import JsonList


def write_sweep_table(
    rows: JsonList, stages: JsonList, title: str, plot_key: str, csv: str, markdown: str, plot: str
) -> None:
    """Write the table of the settings ``rows`` (see :func:`wsgcn.evaluation.sweep.sweep_frame`),
    the mIoU columns being ``stages`` in order, and its plot against ``plot_key`` (a
    column; empty: against the setting)."""
    write_sweep(rows, stages, title, plot_key, csv, markdown, plot)
