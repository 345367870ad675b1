"""End-to-end and incremental-rerun tests of the Snakemake workflow on tiny data."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from conftest import PROJECT, html_tables, rendered_dom, run_snakemake
from wsgcn.data.demo import write_demo_dataset
from wsgcn.io.h5store import read_arrays


def job_counts(dry_run_output: str) -> dict[str, int]:
    """Rule -> job count from the 'Job stats' table of a dry run (empty if nothing to do)."""
    match = re.search(r"Job stats:\n(.*?)\n\s*total\s+\d+", dry_run_output, re.S)
    if not match:
        return {}
    counts = {}
    for line in match.group(1).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return counts


def tiny_cam_config(**overrides) -> dict:
    config = yaml.safe_load((PROJECT / "config" / "config.yaml").read_text())
    config["demo"].update(num_images=12, height=64, width=80)
    config["sharding"]["images_per_shard"] = 4
    config["cam"]["train"].update(epochs=1, batch_size=4, crop_size=64, resize_long=[56, 80], checkpoint_every=5)
    config["cam"]["infer"]["scales"] = [1.0, 0.5]
    config["irn"]["train"].update(epochs=1, batch_size=4, crop_size=96, checkpoint_every=5)
    config["irn"]["infer"]["pad_size"] = 80
    config["segmentation"]["holdout"] = 4
    config["segmentation"]["train"].update(iterations=4, batch_size=4, crop_size=64, checkpoint_every=2)
    config["report"]["figure_count"] = 2
    config.update(overrides)
    return config


def write_config(workdir: Path, config: dict, name: str = "test.yaml") -> str:
    path = workdir / name
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_demo_runs_end_to_end_to_the_pseudo_label_tables(tmp_path: Path):
    config_path = write_config(tmp_path, tiny_cam_config())
    result = run_snakemake(tmp_path, "--cores", "2", "--configfile", config_path)
    tables = list(tmp_path.glob("results/demo/cam/*/eval/cam_miou.csv"))
    assert len(tables) == 1
    table = pd.read_csv(tables[0])
    assert table["class"].tolist() == ["background", "disk", "square", "triangle", "cross", "mIoU"]
    assert 0.0 < table["iou"].iloc[-1] < 100.0
    assert f"CAM table: {tables[0].relative_to(tmp_path).with_suffix('.md')}" in result.stdout + result.stderr
    cam_dir = tables[0].parents[1]
    files = sorted(cam_dir.glob("images/*.h5"))
    assert len(files) == 12
    arrays, attrs = read_arrays(files[0])
    assert arrays["high_res"].dtype == np.float16 and arrays["high_res"].shape[1:] == (attrs["height"], attrs["width"])
    assert yaml.safe_load((cam_dir / "params.yaml").read_text())["stage"] == "cam"
    for stage in ("ir_label", "rw", "rw_crf", "partial", "gcn", "gcn_crf"):
        (table_path,) = tmp_path.glob(f"results/demo/{stage}/*/eval/miou.csv")
        assert pd.read_csv(table_path)["class"].iloc[-1] == "mIoU"
        labels = sorted(table_path.parents[1].glob("images/*.png"))
        assert len(labels) == 12 and Image.open(labels[0]).mode == "P"
        assert f"table: {table_path.relative_to(tmp_path).with_suffix('.md')}" in result.stdout + result.stderr
    (boundary,) = tmp_path.glob("results/demo/boundary/*/images/demo_0000.h5")
    arrays, attrs = read_arrays(boundary)
    grid = (-(-int(attrs["height"]) // 4), -(-int(attrs["width"]) // 4))
    assert arrays["boundary"].shape == grid and arrays["features"].shape == (160, *grid)
    table1 = pd.read_csv(tmp_path / "results/demo/tables/table1.csv")
    assert table1["method"].tolist() == ["CAM", "RW (IRNet)", "RW + CRF", "GCN (WSGCN-I)", "GCN + CRF (WSGCN-I)"]
    assert table1["mIoU"].iloc[0] == pytest.approx(table["iou"].iloc[-1], abs=1e-3)
    (log_probs,) = tmp_path.glob("results/demo/gcn/*/images/demo_0000.h5")
    assert read_arrays(log_probs)[0]["log_probs"].shape == (5, *grid)
    segmentation = pd.read_csv(tmp_path / "results/demo/tables/segmentation.csv")
    assert segmentation["training labels"].tolist() == ["GCN + CRF", "GCN + CRF"]
    assert segmentation["CRF"].fillna("").tolist() == ["", "x"]
    for stage in ("seg", "seg_crf"):
        (seg_table,) = tmp_path.glob(f"results/demo/{stage}/*/eval/miou.csv")
        assert len(list(seg_table.parents[1].glob("images/*.png"))) == 4  # the held-out images
    report = tmp_path / "results/demo/report.html"
    assert f"report: {report}" in result.stdout + result.stderr
    tables = html_tables(report.read_text())
    assert [float(row[-1][1]) for row in tables["table1"]] == pytest.approx(table1["mIoU"].tolist(), abs=1e-9)
    assert [float(row[-1][1]) for row in tables["segmentation"]] == pytest.approx(segmentation["mIoU"].tolist(), abs=1e-9)
    dom_tables = html_tables(rendered_dom(report))
    assert dom_tables["segmentation"] == tables["segmentation"]
    run_snakemake(tmp_path, "--cores", "1", "--configfile", config_path, "--report", "snakemake-report.html")
    assert (tmp_path / "snakemake-report.html").stat().st_size > report.stat().st_size  # it embeds ours
    assert job_counts(run_snakemake(tmp_path, "-n", "--configfile", config_path).stdout) == {}


@pytest.fixture(scope="module")
def voc_workdir(tmp_path_factory) -> Path:
    """A VOC-layout folder of 20 demo images; train on 12, infer and evaluate 16."""
    workdir = tmp_path_factory.mktemp("voc")
    ids = write_demo_dataset(workdir / "data", 20, seed=5, size=(64, 80))
    lists = workdir / "data" / "lists"
    lists.mkdir()
    (lists / "train.txt").write_text("\n".join(ids[:12]) + "\n")
    (lists / "infer.txt").write_text("\n".join(ids[:16]) + "\n")
    config = tiny_cam_config(
        dataset={
            "name": "tiny", "kind": "voc", "root": "data", "class_names": ["disk", "square", "triangle", "cross"],
            "lists": {"train": "lists/train.txt", "infer": "lists/infer.txt", "eval": "lists/infer.txt"},
            "labels": {"source": "xml"},
        }
    )
    # The segmenter trains on the 12 training images and is evaluated on 4 inferred ones, so
    # adding an inference image leaves its split alone.
    (lists / "seg_eval.txt").write_text("\n".join(ids[12:16]) + "\n")
    config["segmentation"].update(train_list="lists/train.txt", eval_list="lists/seg_eval.txt", holdout=0)
    del config["demo"]
    config["sharding"]["images_per_shard"] = 5  # 16 and 17 images both give 4 shards
    write_config(workdir, config, "base.yaml")
    run_snakemake(workdir, "--cores", "2", "--configfile", str(workdir / "base.yaml"))
    return workdir


def _shard_log_summaries(workdir: Path, stage: str = "cam") -> list[str]:
    return [
        line.split("shard done: ")[1]
        for log in sorted(workdir.glob(f"logs/tiny/{stage}/*/*.log"))
        for line in log.read_text().splitlines()
        if "shard done" in line
    ]


ONE_SHARD_RERUN = {
    "cam": 1, "ir_label": 1, "boundary": 1, "random_walk": 1, "partial_labels": 1, "gcn": 1, "eval_cam": 1,
    "eval_labels": 6, "table1": 1, "all": 1,
    # the segmenter's training set reads every pseudo-label shard manifest: its chain is
    # scheduled, and train_seg finds its final checkpoint under the same run key
    "seg_data_gcn_crf": 1, "train_seg_gcn_crf": 1, "segment_gcn_crf": 1, "eval_seg": 2, "segmentation_table": 1,
    "report": 1,
}


def _rerun_expecting_one_shard(workdir: Path) -> str:
    """Dry run: one job per per-image stage plus the aggregates, no training; run: that
    shard computes one image in every stage."""
    base = str(workdir / "base.yaml")
    assert job_counts(run_snakemake(workdir, "-n", "--configfile", base).stdout) == ONE_SHARD_RERUN
    for log in workdir.glob("logs/tiny/*/*/*.log"):
        log.unlink()
    run_snakemake(workdir, "--cores", "2", "--configfile", base)
    for stage in ("ir_label", "boundary", "partial_labels"):
        (summary,) = _shard_log_summaries(workdir, stage)
        assert summary.startswith("1 computed,")
    for stage in ("random_walk", "gcn"):  # the labels, then their CRF
        summaries = _shard_log_summaries(workdir, stage)
        assert len(summaries) == 2 and all(s.startswith("1 computed,") for s in summaries)
    summaries = _shard_log_summaries(workdir)
    assert len(summaries) == 1 and summaries[0].startswith("1 computed,")
    (train_log,) = workdir.glob("logs/tiny/train_seg/*.log")
    assert "at step 4 of 4" in train_log.read_text()  # the segmenter was not retrained
    return summaries[0]


def test_changing_the_evaluation_threshold_reruns_only_eval_cam_and_table1(voc_workdir: Path):
    config = yaml.safe_load((voc_workdir / "base.yaml").read_text())
    config["cam"]["eval"]["threshold"] = 0.3
    path = write_config(voc_workdir, config, "threshold.yaml")
    counts = job_counts(run_snakemake(voc_workdir, "-n", "--configfile", path).stdout)
    assert counts == {"eval_cam": 1, "table1": 1, "report": 1, "all": 1}  # Table 1 shows the CAM mIoU


def test_changing_a_gcn_value_reruns_no_upstream_job(voc_workdir: Path):
    config = yaml.safe_load((voc_workdir / "base.yaml").read_text())
    config.setdefault("gcn", {}).setdefault("train", {})["laplacian_weight"] = 0.0
    path = write_config(voc_workdir, config, "gcn.yaml")
    counts = job_counts(run_snakemake(voc_workdir, "-n", "--configfile", path).stdout)
    # the GCN + CRF labels change, so does everything trained on them: no CAM, IRNet or RW job
    assert counts == {
        "gcn": 4, "eval_labels": 2, "stage_params": 5, "table1": 1, "seg_data_gcn_crf": 1, "train_seg_gcn_crf": 1,
        "segment_gcn_crf": 1, "eval_seg": 2, "segmentation_table": 1, "report": 1, "all": 1,
    }


def test_adding_an_inference_image_computes_only_that_image(voc_workdir: Path):
    lists = voc_workdir / "data" / "lists"
    ids = (lists / "infer.txt").read_text().split()
    (lists / "infer.txt").write_text("\n".join([*ids, "demo_0016"]) + "\n")
    summary = _rerun_expecting_one_shard(voc_workdir)
    assert int(summary.split(", ")[1].split()[0]) >= 1  # the shard's other images were reused


def test_changing_one_image_recomputes_only_that_image(voc_workdir: Path):
    image = voc_workdir / "data" / "JPEGImages" / "demo_0013.jpg"  # inferred, not trained on
    pixels = np.asarray(Image.open(image)).copy()
    pixels[:8, :8] = 0
    Image.fromarray(pixels).save(image, quality=90)
    _rerun_expecting_one_shard(voc_workdir)


@pytest.mark.parametrize(
    "change, key",
    [
        (lambda c: c["cam"]["train"].update(epoch=3), "epoch"),
        (lambda c: c["cam"]["train"].update(epochs="five"), "epochs"),
        (lambda c: c["cam"]["eval"].update(threshold=1.5), "threshold"),
        (lambda c: c["backbone"].update(name="vgg16"), "name"),
        (lambda c: c.update(sharding={"images_per_shard": 0}), "images_per_shard"),
    ],
)
def test_bad_config_stops_before_any_job_naming_the_key(tmp_path: Path, change, key):
    config = tiny_cam_config()
    change(config)
    result = run_snakemake(tmp_path, "--cores", "1", "--configfile", write_config(tmp_path, config), check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Error validating config file" in output and f"'{key}'" in output or key in output.split("ValidationError")[1]
    assert not (tmp_path / "results").exists() and not (tmp_path / "resources").exists()
