"""Per-class IoU tables as pandas DataFrames, CSV and Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from wsgcn.evaluation.confusion import iou_per_class
from wsgcn.hashing import canonical_json
from wsgcn.io.atomic import write_text_atomic


def iou_table(confusion: np.ndarray, class_names: Sequence[str]) -> pd.DataFrame:
    """One row per class (background first) plus a final ``mIoU`` row; IoU in percent.

    Columns: ``class``, ``iou`` (percent, NaN where undefined), ``gt_pixels``,
    ``predicted_pixels``.
    """
    names = ["background", *class_names]
    if confusion.shape != (len(names), len(names)):
        raise ValueError(f"confusion matrix shape {confusion.shape} does not match {len(names)} classes")
    iou = iou_per_class(confusion) * 100.0
    table = pd.DataFrame(
        {
            "class": names,
            "iou": iou,
            "gt_pixels": confusion.sum(axis=1),
            "predicted_pixels": confusion.sum(axis=0),
        }
    )
    summary = pd.DataFrame(
        {
            "class": ["mIoU"],
            "iou": [float(np.nanmean(iou))],
            "gt_pixels": [int(confusion.sum())],
            "predicted_pixels": [int(confusion.sum())],
        }
    )
    return pd.concat([table, summary], ignore_index=True)


def markdown_table(frame: pd.DataFrame, float_format: str = "{:.2f}") -> str:
    """A GitHub-flavoured Markdown table of ``frame`` (NaN shown as ``-``)."""

    def cell(value: object) -> str:
        if isinstance(value, float | np.floating):
            return "-" if np.isnan(value) else float_format.format(value)
        return str(value)

    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows]) + "\n"


def write_table(frame: pd.DataFrame, csv_path: str | Path, markdown_path: str | Path, title: str) -> None:
    """Write ``frame`` as CSV and as Markdown with a heading, both atomically."""
    write_text_atomic(csv_path, frame.to_csv(index=False, float_format="%.4f"))
    write_text_atomic(markdown_path, f"# {title}\n\n{markdown_table(frame)}")


def write_summary(path: str | Path, miou: float, images: int, labelled: float) -> None:
    """Write an evaluation's summary JSON: ``miou`` (%), ``images`` and ``labelled`` (the
    fraction of pixels that carry a label: 1 for complete labels), atomically."""
    write_text_atomic(path, canonical_json({"miou": miou, "images": images, "labelled": labelled}) + "\n")
