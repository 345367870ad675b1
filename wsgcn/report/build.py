"""Assemble the report from a run's tables, label folders, config and benchmark files.

The *report spec* (JSON, written by the workflow) names everything:

* ``title``, ``dataset`` (the config's dataset section), ``config`` (the whole config);
* ``tables``: list of ``{"id", "caption", "csv"}``: summary tables, shown as they are, first;
* ``per_class``: list of ``{"id", "caption", "rows": [[name, per-class CSV], ...]}``: tables in
  the paper's Table 5 layout, each also drawn as a per-class bar chart;
* ``figures``: list of ``{"id", "caption", "ids", "columns": [[title, source], ...]}`` where a
  source is ``"image"``, ``"truth"`` or a label folder;
* ``statistics``: tables like ``tables``, shown after the figures;
* ``timings``: ``{step: [glob patterns of benchmark TSVs]}``;
* ``input_checks``: the input check records of the run's shards (images without a
  foreground label are listed).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from wsgcn.affinity.stage import label_path
from wsgcn.data.check import images_without_foreground
from wsgcn.data.dataset import Dataset, dataset_from_config
from wsgcn.data.images import load_mask, load_rgb
from wsgcn.errors import InputError
from wsgcn.evaluation.summary import per_class_table
from wsgcn.io.atomic import write_text_atomic
from wsgcn.io.label_png import read_label_png
from wsgcn.report.figures import colour_labels, image_grid, per_class_bar_chart
from wsgcn.report.html import document, html_table, png_image
from wsgcn.report.runinfo import rule_timings, software_versions


def _read_csv(path: str | Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(f"{path}: cannot read table ({error})") from error


def _figure_cell(dataset: Dataset, source: str, image_id: str) -> np.ndarray | None:
    if source == "image":
        return load_rgb(dataset.image_path(image_id))
    if source == "truth":
        return colour_labels(load_mask(dataset.mask_path(image_id), dataset.num_classes))
    path = label_path(source, image_id)
    return colour_labels(read_label_png(path)) if path.is_file() else None


def _figure(dataset: Dataset, figure: Mapping[str, Any]) -> str:
    titles = [title for title, _ in figure["columns"]]
    rows = [
        (image_id, [_figure_cell(dataset, source, image_id) for _, source in figure["columns"]]) for image_id in figure["ids"]
    ]
    if not rows:
        return '<p class="note">No images selected for this figure.</p>'
    caption = f'<p class="note">{html.escape(figure["caption"])} Label colours: VOC palette; white = unlabelled (255).</p>'
    return caption + png_image(image_grid(titles, rows), figure["caption"], figure["id"])


def _no_foreground_note(ids: list[str]) -> str:
    if not ids:
        return '<p class="note" id="no-foreground">Every image has at least one foreground label.</p>'
    listed = ", ".join(html.escape(i) for i in ids)
    return (
        f'<p class="note" id="no-foreground">{len(ids)} image(s) have no foreground label and get all-background'
        f" pseudo labels: {listed}</p>"
    )


def build_report(spec: Mapping[str, Any]) -> str:
    """The report's HTML text."""
    dataset = dataset_from_config(spec["dataset"])
    sections: list[tuple[str, str]] = []
    for table in spec["tables"]:
        sections.append((table["caption"], html_table(_read_csv(table["csv"]), table["id"], table["caption"])))
    for group in spec["per_class"]:
        frame = per_class_table([({"method": name}, csv) for name, csv in group["rows"]])
        chart = png_image(per_class_bar_chart(frame, "method", ["background", *dataset.class_names]), group["caption"], group["id"] + "-chart")
        sections.append((group["caption"], html_table(frame, group["id"], group["caption"] + ", IoU (%)") + chart))
    for figure in spec["figures"]:
        sections.append((figure["caption"], _figure(dataset, figure)))
    for table in spec["statistics"]:
        sections.append((table["caption"], html_table(_read_csv(table["csv"]), table["id"], table["caption"])))
    no_foreground = images_without_foreground(spec["input_checks"])
    sections.append(("Input check", _no_foreground_note(no_foreground)))
    timings = rule_timings(spec["timings"])
    sections.append(("Timings", html_table(timings, "timings", "Wall time per step, from the rules' benchmark files")))
    sections.append(("Software", html_table(software_versions(), "software", "Versions used to build this report")))
    config_text = yaml.safe_dump(spec["config"], sort_keys=False)
    sections.append(("Configuration", f"<pre id=\"config\">{html.escape(config_text)}</pre>"))
    return document(spec["title"], sections)


def write_report(spec: Mapping[str, Any], out_path: str | Path) -> None:
    """Build the report and write it atomically to ``out_path``."""
    write_text_atomic(out_path, build_report(spec))
