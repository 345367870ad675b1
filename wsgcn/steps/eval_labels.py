"""Step ``eval-labels``: the per-class IoU of one folder of label PNGs (IR labels, RW,
partial, GCN, segmenter outputs) against the ground-truth masks.

The spec has the key ``dataset``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from wsgcn.data.dataset import dataset_from_config
from wsgcn.evaluation.label_maps import evaluate_label_maps
from wsgcn.evaluation.tables import iou_table, write_summary, write_table
from wsgcn.io.layout import label_path
from wsgcn.params import Spec

log = logging.getLogger(__name__)


def evaluate_labels(
    spec: Spec,
    ids: Sequence[str],
    folder: str,
    what: str,
    partial: bool,
    csv_path: str,
    markdown_path: str,
    summary_path: str,
) -> float:
    """Evaluate the label PNGs in ``folder``; writes the per-class table and the summary
    JSON, returns mIoU (%).

    ``partial`` labels (IR labels) are scored on their labelled pixels only, and the
    table's title gives the labelled fraction.
    """
    dataset = dataset_from_config(spec["dataset"])
    confusion, labelled = evaluate_label_maps(dataset, ids, lambda i: label_path(folder, i), partial)
    table = iou_table(confusion, dataset.class_names)
    miou = float(table["iou"].iloc[-1])
    title = f"{what} mIoU ({len(ids)} images)"
    if partial:
        title = (
            f"{what} precision mIoU on labelled pixels, {100 * labelled:.1f} % of pixels labelled ({len(ids)} images)"
        )
    write_table(table, csv_path, markdown_path, title)
    write_summary(summary_path, miou, len(ids), labelled)
    log.info("%s mIoU %.2f %% over %d images (labelled %.1f %%)", what, miou, len(ids), 100 * labelled)
    return miou
