"""Report figures with matplotlib (Agg), returned as PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from wsgcn.data.classes import voc_palette


def _png(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def per_class_bar_chart(table: pd.DataFrame, label_column: str, class_names: Sequence[str]) -> bytes:
    """Grouped bars: IoU (%) per class (x) for every row of ``table`` (one colour per row).

    ``table`` has one row per method, ``label_column`` naming it, and a column per class.
    """
    classes = [name for name in class_names if name in table.columns]
    width = 0.8 / max(len(table), 1)
    figure, axes = plt.subplots(figsize=(max(8.0, 0.55 * len(classes) * max(1, len(table)) ** 0.5), 4.0))
    positions = np.arange(len(classes))
    for index, (_, row) in enumerate(table.iterrows()):
        values = np.asarray([row[name] for name in classes], dtype=float)
        axes.bar(
            positions + (index - (len(table) - 1) / 2) * width,
            np.nan_to_num(values),
            width,
            label=str(row[label_column]),
        )
    axes.set_xticks(positions, classes, rotation=60, ha="right")
    axes.set_ylabel("IoU (%)")
    axes.set_ylim(0, 100)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8, ncols=2)
    return _png(figure)


def colour_labels(labels: np.ndarray) -> np.ndarray:
    """Label map (H, W) uint8 -> VOC-palette RGB image (H, W, 3); 255 is shown white."""
    palette = voc_palette().copy()
    palette[255] = 255
    return palette[labels]


def image_grid(titles: Sequence[str], rows: Sequence[tuple[str, Sequence[np.ndarray | None]]]) -> bytes:
    """A grid of RGB images: one row per (row name, images), one column per title; None = blank."""
    columns = len(titles)
    figure, axes = plt.subplots(len(rows), columns, figsize=(2.2 * columns, 1.8 * len(rows)), squeeze=False)
    for row_index, (name, images) in enumerate(rows):
        for column, image in enumerate(images):
            axis = axes[row_index][column]
            axis.set_xticks([])
            axis.set_yticks([])
            if image is not None:
                axis.imshow(image)
            if row_index == 0:
                axis.set_title(titles[column], fontsize=9)
            if column == 0:
                axis.set_ylabel(name, fontsize=7)
    figure.tight_layout()
    return _png(figure)
