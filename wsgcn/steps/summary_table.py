"""Step ``summary-table``: one mIoU row per evaluated method (Tables 1 and 2), or one
IoU column per class (the paper's Table 5 layout)."""

from __future__ import annotations

from wsgcn.evaluation.summary import per_class_table, summary_table
from wsgcn.evaluation.tables import write_table
from wsgcn.params import JsonList


def write_summary_table(rows: JsonList, title: str, csv: str, markdown: str, per_class: bool = False) -> None:
    """Write the table of ``rows`` (``{"columns": [[name, value], ...], "table": CSV path}``)
    as CSV and Markdown; ``per_class`` for the per-class layout."""
    pairs = [(dict(row["columns"]), row["table"]) for row in rows]
    write_table((per_class_table if per_class else summary_table)(pairs), csv, markdown, title)
