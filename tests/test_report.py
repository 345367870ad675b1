"""The HTML report: per-class tables, numbers equal to the CSVs, figures embedded, renders in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import html_tables, make_dataset, rendered_dom

from wsgcn.data.check import check_shard
from wsgcn.data.demo import write_demo_dataset
from wsgcn.evaluation.summary import per_class_table
from wsgcn.evaluation.sweep import write_sweep
from wsgcn.io.label_png import write_label_png
from wsgcn.report.build import build_report, write_report
from wsgcn.report.runinfo import rule_timings

CLASSES = ["disk", "square", "triangle", "cross"]


def _per_class_csv(path: Path, ious: list[float]) -> Path:
    names = ["background", *CLASSES]
    frame = pd.DataFrame({"class": [*names, "mIoU"], "iou": [*ious, float(np.nanmean(ious))]})
    frame.to_csv(path, index=False, float_format="%.4f")
    return path


def _tiny_sweep(tmp_path: Path) -> dict:
    """A two-setting sweep's table and plot, as the sweep_table rule writes them."""
    rows = []
    for name, miou in (("a", 61.5), ("b", 63.25)):
        summary = tmp_path / f"{name}.json"
        summary.write_text(f'{{"miou": {miou}, "images": 4, "labelled": 1.0}}')
        rows.append(
            {
                "setting": name,
                "values": {"gcn.train.steps": len(name)},
                "results": [["GCN", str(summary), False]],
                "timings": [],
            }
        )
    paths = {suffix: str(tmp_path / f"sweep.{suffix}") for suffix in ("csv", "md", "png")}
    write_sweep(rows, ["GCN"], "Sweep steps", "", paths["csv"], paths["md"], paths["png"])
    return {"id": "sweep-steps", "caption": "Sweep steps", "csv": paths["csv"], "plot": paths["png"]}


def test_per_class_table_has_one_column_per_class_and_miou_last(tmp_path: Path):
    first = _per_class_csv(tmp_path / "a.csv", [90.0, 50.0, float("nan"), 10.0, 20.0])
    second = _per_class_csv(tmp_path / "b.csv", [80.0, 40.0, 30.0, 20.0, 10.0])
    table = per_class_table([({"labels": "GCN"}, first), ({"labels": "RW"}, second)])
    assert list(table.columns) == ["labels", "background", *CLASSES, "mIoU"]
    assert table["mIoU"].tolist() == pytest.approx([42.5, 36.0])
    assert np.isnan(table.loc[0, "square"])


def test_rule_timings_sum_the_benchmark_files(tmp_path: Path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    (tmp_path / "a.tsv").write_text(header + "2.5\t0:00:02\t100.0\t1\t1\t1\t0\t0\t1\t2\n")
    (tmp_path / "b.tsv").write_text(header + "1.5\t0:00:01\t300.0\t1\t1\t1\t0\t0\t1\t1\n")
    table = rule_timings({"gcn": [str(tmp_path / "*.tsv")], "missing": [str(tmp_path / "none/*.tsv")]})
    assert table.to_dict("records") == [
        {"step": "gcn", "jobs": 2, "wall time (s)": 4.0, "longest job (s)": 2.5, "peak RSS (MB)": 300.0}
    ]


@pytest.fixture
def tiny_report(tmp_path: Path) -> tuple[Path, dict]:
    ids = write_demo_dataset(tmp_path / "data", 3, seed=1, size=(40, 56))
    labels = tmp_path / "labels"
    for image_id in ids:
        write_label_png(labels / "images" / f"{image_id}.png", np.zeros((40, 56), np.uint8), "k")
    annotation = tmp_path / "data" / "Annotations" / f"{ids[2]}.xml"
    annotation.write_text(annotation.read_text().split("<object>")[0] + "</annotation>\n")  # no foreground
    check_shard(make_dataset(tmp_path / "data", CLASSES), ids, set(), tmp_path / "check.json")
    summary = tmp_path / "table1.csv"
    pd.DataFrame({"method": ["CAM", "GCN + CRF"], "mIoU": [40.1234, 71.0456]}).to_csv(summary, index=False)
    spec = {
        "title": "wsgcn report: tiny",
        "dataset": {"name": "tiny", "kind": "voc", "root": str(tmp_path / "data"), "class_names": CLASSES},
        "config": {"dataset": {"name": "tiny"}},
        "tables": [{"id": "table1", "caption": "Table 1", "csv": str(summary)}],
        "per_class": [
            {
                "id": "segmentation",
                "caption": "Segmentation",
                "rows": [
                    ["GCN + CRF labels", str(_per_class_csv(tmp_path / "s.csv", [91.25, 50.5, 60.0, 70.0, 80.0]))]
                ],
            }
        ],
        "figures": [
            {
                "id": "figure",
                "caption": "Pseudo labels.",
                "ids": ids,
                "columns": [
                    ["image", "image"],
                    ["GCN", str(labels)],
                    ["missing", str(tmp_path / "none")],
                    ["ground truth", "truth"],
                ],
            }
        ],
        "statistics": [],
        "sweeps": [_tiny_sweep(tmp_path)],
        "timings": {},
        "input_checks": [str(tmp_path / "check.json")],
    }
    path = tmp_path / "report.html"
    write_report(spec, path)
    return path, spec


def test_report_tables_hold_the_csv_numbers_and_figures_are_embedded(tiny_report):
    path, spec = tiny_report
    text = path.read_text()
    tables = html_tables(text)
    assert [float(row[1][1]) for row in tables["table1"]] == [40.1234, 71.0456]
    (row,) = tables["segmentation"]
    assert row[0][0] == "GCN + CRF labels" and float(row[1][1]) == 91.25 and float(row[-1][1]) == pytest.approx(70.35)
    assert {"timings", "software"} <= set(tables)
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', text)) == 3  # bar chart, sweep plot, figure
    assert [float(row[-1][1]) for row in tables["sweep-steps"]] == [61.5, 63.25]
    assert "http://" not in text and "https://" not in text.split("<pre")[0]  # self-contained
    assert build_report(spec) == text  # deterministic apart from nothing
    ids = spec["figures"][0]["ids"]
    assert re.search(rf'id="no-foreground">1 image\(s\) have no foreground label[^<]*: {ids[2]}</p>', text)
    assert 'id="resized">No image needed resizing (limits: short side 32, long side 1000 pixels).</p>' in text


def test_report_renders_in_headless_chromium(tiny_report):
    path, _ = tiny_report
    dom = rendered_dom(path)
    assert 'data-broken-images="0"' in dom and 'data-images="3"' in dom
    tables = html_tables(dom)
    assert [float(row[1][1]) for row in tables["table1"]] == [40.1234, 71.0456]
    assert float(tables["segmentation"][0][1][1]) == 91.25
