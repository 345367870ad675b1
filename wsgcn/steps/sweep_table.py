"""Step ``sweep-table``: a sweep's comparison table (CSV, Markdown) and plot (PNG).

The sweep spec has keys ``title``, ``stages`` (the mIoU columns, in order), ``plot_key``
(the plot's x axis, a column; empty: the setting) and ``rows`` (see
:func:`wsgcn.evaluation.sweep.sweep_frame`).
"""

from __future__ import annotations

from wsgcn.evaluation.sweep import write_sweep
from wsgcn.params import Spec


def write_sweep_table(sweep: Spec, csv: str, markdown: str, plot: str) -> None:
    """Write the table of the sweep's settings and its plot."""
    write_sweep(sweep["rows"], sweep["stages"], sweep["title"], sweep["plot_key"], csv, markdown, plot)
