"""Assemble the report from a run's tables, label folders, config and benchmark files.

The *report spec* (JSON, written by the workflow) names everything:

* ``title``, ``dataset`` (the config's dataset section), ``config`` (the whole config);
* ``tables``: list of ``{"id", "caption", "csv"}``: summary tables, shown as they are, first;
* ``per_class``: list of ``{"id", "caption", "rows": [[name, per-class CSV], ...]}``: tables in
  the paper's Table 5 layout, each also drawn as a per-class bar chart;
* ``figures``: list of ``{"id", "caption", "ids", "columns": [[title, source], ...]}`` where a
  source is ``"image"``, ``"truth"`` or a label folder;
* ``statistics``: tables like ``tables``, shown after the figures;
* ``sweeps``: list of ``{"id", "caption", "csv", "plot"}``: a sweep's table and its plot (PNG);
* ``timings``: ``{step: [glob patterns of benchmark TSVs]}``;
* ``input_checks``: the input check records of the run's shards (images without a
  foreground label and resized images are listed).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from wsgcn.data.check import flagged_images
from wsgcn.data.dataset import Dataset, dataset_from_config
from wsgcn.errors import InputError
from wsgcn.evaluation.summary import per_class_table
from wsgcn.io.atomic import write_text_atomic
from wsgcn.io.label_png import read_label_png
from wsgcn.io.layout import label_path
from wsgcn.report.figures import colour_labels, image_grid, per_class_bar_chart
from wsgcn.report.html import document, html_table, png_image
from wsgcn.report.runinfo import rule_timings, software_versions


def _read_csv(path: str | Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(f"{path}: cannot read table ({error})") from error


def _read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error})") from error


def _figure_cell(dataset: Dataset, source: str, image_id: str) -> np.ndarray | None:
    if source == "image":
        return dataset.load_image(image_id)
    if source == "truth":
        return colour_labels(dataset.load_mask(image_id))
    path = label_path(source, image_id)
    return colour_labels(read_label_png(path)) if path.is_file() else None


def _figure(dataset: Dataset, figure: Mapping[str, Any]) -> str:
    titles = [title for title, _ in figure["columns"]]
    rows = [
        (image_id, [_figure_cell(dataset, source, image_id) for _, source in figure["columns"]])
        for image_id in figure["ids"]
    ]
    if not rows:
        return '<p class="note">No images selected for this figure.</p>'
    caption = (
        f'<p class="note">{html.escape(figure["caption"])} Label colours: VOC palette; white = unlabelled (255).</p>'
    )
    return caption + png_image(image_grid(titles, rows), figure["caption"], figure["id"])


def _input_check_notes(dataset: Dataset, flagged: Mapping[str, list[str]]) -> str:
    no_foreground, resized = flagged["no_foreground"], flagged["resized"]
    if no_foreground:
        listed = ", ".join(html.escape(i) for i in no_foreground)
        note = f"{len(no_foreground)} image(s) have no foreground label and get all-background pseudo labels: {listed}"
    else:
        note = "Every image has at least one foreground label."
    limits = dataset.working_size
    if resized:
        listed = ", ".join(html.escape(i) for i in resized)
        size_note = (
            f"{len(resized)} image(s) are outside the working size limits (short side {limits.min_side},"
            f" long side {limits.max_side} pixels) and were processed, labelled and evaluated resized: {listed}"
        )
    else:
        size_note = (
            f"No image needed resizing (limits: short side {limits.min_side}, long side {limits.max_side} pixels)."
        )
    return f'<p class="note" id="no-foreground">{note}</p><p class="note" id="resized">{size_note}</p>'


def build_report(spec: Mapping[str, Any]) -> str:
    """The report's HTML text."""
    dataset = dataset_from_config(spec["dataset"])
    sections: list[tuple[str, str]] = []
    for table in spec["tables"]:
        sections.append((table["caption"], html_table(_read_csv(table["csv"]), table["id"], table["caption"])))
    for group in spec["per_class"]:
        frame = per_class_table([({"method": name}, csv) for name, csv in group["rows"]])
        chart = png_image(
            per_class_bar_chart(frame, "method", ["background", *dataset.class_names]),
            group["caption"],
            group["id"] + "-chart",
        )
        sections.append((group["caption"], html_table(frame, group["id"], group["caption"] + ", IoU (%)") + chart))
    for sweep in spec["sweeps"]:
        plot = png_image(_read_bytes(sweep["plot"]), sweep["caption"], sweep["id"] + "-plot")
        sections.append((sweep["caption"], html_table(_read_csv(sweep["csv"]), sweep["id"], sweep["caption"]) + plot))
    for figure in spec["figures"]:
        sections.append((figure["caption"], _figure(dataset, figure)))
    for table in spec["statistics"]:
        sections.append((table["caption"], html_table(_read_csv(table["csv"]), table["id"], table["caption"])))
    sections.append(("Input check", _input_check_notes(dataset, flagged_images(spec["input_checks"]))))
    timings = rule_timings(spec["timings"])
    sections.append(("Timings", html_table(timings, "timings", "Wall time per step, from the rules' benchmark files")))
    sections.append(("Software", html_table(software_versions(), "software", "Versions used to build this report")))
    config_text = yaml.safe_dump(spec["config"], sort_keys=False)
    sections.append(("Configuration", f'<pre id="config">{html.escape(config_text)}</pre>'))
    return document(spec["title"], sections)


def write_report(spec: Mapping[str, Any], out_path: str | Path) -> None:
    """Build the report and write it atomically to ``out_path``."""
    write_text_atomic(out_path, build_report(spec))
