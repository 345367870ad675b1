"""Summary tables over several evaluations (the paper's Tables 1 and 2): one row per method."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from wsgcn.errors import InputError


def read_miou(table_csv: str | Path) -> float:
    """The mIoU (percent) of a per-class table written by :func:`wsgcn.evaluation.tables.write_table`."""
    try:
        table = pd.read_csv(table_csv)
        return float(table.loc[table["class"] == "mIoU", "iou"].iloc[0])
    except (OSError, KeyError, IndexError, ValueError, pd.errors.ParserError) as error:
        raise InputError(f"{table_csv}: not a per-class IoU table ({error})") from error


def summary_table(rows: Sequence[tuple[Mapping[str, str], str | Path]]) -> pd.DataFrame:
    """One row per (descriptive columns, per-class table CSV): the columns plus ``mIoU``."""
    return pd.DataFrame([{**columns, "mIoU": read_miou(table)} for columns, table in rows])


def per_class_table(rows: Sequence[tuple[Mapping[str, str], str | Path]]) -> pd.DataFrame:
    """The paper's Table 5 layout: one row per (descriptive columns, per-class table CSV),
    one column per class (IoU, %) and ``mIoU`` last."""
    records = []
    for columns, table_csv in rows:
        try:
            table = pd.read_csv(table_csv)
            ious = dict(zip(table["class"], table["iou"], strict=False))
        except (OSError, KeyError, ValueError, pd.errors.ParserError) as error:
            raise InputError(f"{table_csv}: not a per-class IoU table ({error})") from error
        if "mIoU" not in ious:
            raise InputError(f"{table_csv}: not a per-class IoU table (no mIoU row)")
        records.append({**columns, **ious})
    return pd.DataFrame(records)
