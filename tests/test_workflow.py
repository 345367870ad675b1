"""End-to-end and incremental-rerun tests of the Snakemake workflow on tiny data."""

from __future__ import annotations

import copy
import itertools
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import PROJECT, html_tables, rendered_dom, run_snakemake
from PIL import Image

import wsgcn
from wsgcn.cam.files import read_cam
from wsgcn.config_schema import read_config_files
from wsgcn.data.demo import write_demo_dataset
from wsgcn.io.h5store import read_arrays
from wsgcn.io.precision import to_unit_levels
from wsgcn.plan import RunIds, StageRegistry


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
    tables = list(tmp_path.glob("results/demo/cam_eval/*/cam_miou.csv"))
    assert len(tables) == 1
    table = pd.read_csv(tables[0])
    assert table["class"].tolist() == ["background", "disk", "square", "triangle", "cross", "mIoU"]
    assert 0.0 < table["iou"].iloc[-1] < 100.0
    assert f"CAM table: {tables[0].relative_to(tmp_path).with_suffix('.md')}" in result.stdout + result.stderr
    sweep = pd.read_csv(tables[0].with_name("threshold_sweep.csv"))
    assert sweep["threshold"].tolist() == pytest.approx([0.05 * i for i in range(1, 13)])
    assert sweep.set_index("threshold")["miou"].loc[0.15] == pytest.approx(table["iou"].iloc[-1], abs=1e-3)
    (cam_dir,) = tmp_path.glob("results/demo/cam/*")
    files = sorted(cam_dir.glob("images/*.h5"))
    assert len(files) == 12
    arrays, attrs = read_arrays(files[0])
    assert arrays["high_res"].dtype == np.uint8 and arrays["high_res"].shape[1:] == (attrs["height"], attrs["width"])
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
    assert arrays["boundary"].dtype == arrays["features"].dtype == np.float16  # irn.infer.storage
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
    assert [float(row[-1][1]) for row in tables["segmentation"]] == pytest.approx(
        segmentation["mIoU"].tolist(), abs=1e-9
    )
    assert [float(row[-1][1]) for row in tables["cam-threshold-sweep"]] == pytest.approx(
        sweep["miou"].tolist(), abs=1e-9
    )
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
            "name": "tiny",
            "kind": "voc",
            "root": "data",
            "class_names": ["disk", "square", "triangle", "cross"],
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
    # A private copy of the workflow and the package, so that a test can edit a module: the
    # Snakefile's folder comes first on Snakemake's sys.path, PYTHONPATH first for the jobs.
    (workdir / "project").mkdir()
    for name in ("Snakefile", "workflow", "config", "profiles", "wsgcn"):
        source, target = PROJECT / name, workdir / "project" / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    run_voc(workdir, "--cores", "2", "--configfile", str(workdir / "base.yaml"))
    return workdir


def run_voc(workdir: Path, *args: str):
    """Snakemake in a ``voc_workdir``, with the workdir's copy of the workflow and package."""
    project = workdir / "project"
    return run_snakemake(workdir, *args, env={"PYTHONPATH": str(project)}, project=project)


def dry_run_jobs(workdir: Path, config: dict, name: str) -> dict[str, int]:
    return job_counts(run_voc(workdir, "-n", "--configfile", write_config(workdir, config, name)).stdout)


def file_times(workdir: Path, *stages: str) -> dict[Path, int]:
    """mtime (ns) of every per-image result file of ``stages``."""
    return {
        path: path.stat().st_mtime_ns
        for stage in stages
        for path in (workdir / "results" / "tiny" / stage).glob("*/images/*")
        if path.suffix in (".png", ".h5")
    }


def workdir_logs(workdir: Path) -> list[Path]:
    """The per-shard and training logs of a ``voc_workdir``."""
    return [*workdir.glob("logs/tiny/*/*/*.log"), *workdir.glob("logs/tiny/train_*/*.log")]


def base_config(workdir: Path) -> dict:
    return yaml.safe_load((workdir / "base.yaml").read_text())


def _shard_log_summaries(workdir: Path, stage: str = "cam") -> list[str]:
    return [
        line.split("shard done: ")[1]
        for log in sorted(workdir.glob(f"logs/tiny/{stage}/*/*.log"))
        for line in log.read_text().splitlines()
        if "shard done" in line
    ]


ONE_SHARD_RERUN = {
    "check_inputs": 1,
    "cam": 1,
    "ir_label": 1,
    "boundary": 1,
    "random_walk": 1,
    "rw_crf": 1,
    "partial_labels": 1,
    "gcn": 1,
    "gcn_crf": 1,
    "eval_cam": 1,
    "eval_labels": 8,  # six pseudo-label folders, the segmenter without and with the CRF
    "table1": 1,
    "all": 1,
    # the segmenter's training set reads every pseudo-label shard manifest: its chain is
    # scheduled, and train_seg finds its final checkpoint under the same run key
    "seg_data": 1,
    "train_seg": 1,
    "segment": 1,
    "seg_crf": 1,
    "segmentation_table": 1,
    "report": 1,
}


def _rerun_expecting_one_shard(workdir: Path) -> str:
    """Dry run: one job per per-image stage plus the aggregates, no training; run: that
    shard computes one image in every stage."""
    base = str(workdir / "base.yaml")
    assert job_counts(run_voc(workdir, "-n", "--configfile", base).stdout) == ONE_SHARD_RERUN
    for log in workdir_logs(workdir):
        log.unlink()
    run_voc(workdir, "--cores", "2", "--configfile", base)
    for stage in ("ir_label", "boundary", "partial", "rw", "rw_crf", "gcn", "gcn_crf"):
        (summary,) = _shard_log_summaries(workdir, stage)
        assert summary.startswith("1 computed,"), stage
    summaries = _shard_log_summaries(workdir)
    assert len(summaries) == 1 and summaries[0].startswith("1 computed,")
    (train_log,) = workdir.glob("logs/tiny/train_seg/*.log")
    assert "at step 4 of 4" in train_log.read_text()  # the segmenter was not retrained
    return summaries[0]


def test_changing_the_evaluation_threshold_reruns_only_eval_cam_and_table1(voc_workdir: Path):
    config = base_config(voc_workdir)
    config["cam"]["eval"]["threshold"] = 0.3
    # a cam_eval folder of its own; Table 1 shows the CAM mIoU
    assert dry_run_jobs(voc_workdir, config, "threshold.yaml") == {
        "eval_cam": 1,
        "stage_params": 1,
        "table1": 1,
        "report": 1,
        "all": 1,
    }


def _image_counts(summaries: list[str]) -> tuple[int, int]:
    """(images computed, images reused) over shard summaries 'N computed, M reused'."""
    counts = [re.match(r"(\d+) computed, (\d+) reused", summary).groups() for summary in summaries]
    return sum(int(c) for c, _ in counts), sum(int(r) for _, r in counts)


def _rerun_changed(workdir: Path, config: dict, name: str, unchanged: tuple[str, ...]) -> None:
    """Run ``config``; the per-image results of the ``unchanged`` stages keep their files."""
    before = file_times(workdir, *unchanged)
    for log in workdir_logs(workdir):
        log.unlink()
    run_voc(workdir, "--cores", "2", "--configfile", write_config(workdir, config, name))
    assert (before or not unchanged) and file_times(workdir, *unchanged) == before


def _switching_back_reruns_only_the_summaries(workdir: Path) -> None:
    """The base setting's folders are still there: going back rewrites only the shared tables."""
    counts = job_counts(run_voc(workdir, "-n", "--configfile", str(workdir / "base.yaml")).stdout)
    assert set(counts) <= {"table1", "segmentation_table", "report", "all"}


def test_changing_a_gcn_value_reruns_only_the_gcn_and_downstream(voc_workdir: Path):
    config = base_config(voc_workdir)
    config.setdefault("gcn", {}).setdefault("train", {})["laplacian_weight"] = 0.0
    # the GCN + CRF labels change, so does everything trained on them: no CAM, IRNet or RW job
    assert dry_run_jobs(voc_workdir, config, "gcn.yaml") == {
        "gcn": 4,
        "gcn_crf": 4,
        "eval_labels": 4,
        "stage_params": 6,  # gcn, gcn_crf, seg_data, train_seg, seg, seg_crf
        "table1": 1,
        "seg_data": 1,
        "train_seg": 1,
        "segment": 1,
        "seg_crf": 1,
        "segmentation_table": 1,
        "report": 1,
        "all": 1,
    }
    _rerun_changed(
        voc_workdir, config, "gcn.yaml", unchanged=("cam", "ir_label", "boundary", "rw", "rw_crf", "partial")
    )
    gcn, gcn_crf = (_shard_log_summaries(voc_workdir, stage) for stage in ("gcn", "gcn_crf"))
    assert _image_counts(gcn) == _image_counts(gcn_crf) == (16, 0)
    _switching_back_reruns_only_the_summaries(voc_workdir)


def test_no_shell_command_of_a_rule_made_in_a_loop_reads_a_loop_variable():
    # Snakemake evaluates a shell command again when its job runs (a dry run prints the
    # first evaluation), so a loop variable there gives every job the last iteration's
    # values; they must reach the command through params, which are evaluated once.
    for snakefile in sorted((PROJECT / "workflow" / "rules").glob("*.smk")):
        lines = snakefile.read_text().splitlines()
        for start, line in enumerate(lines):
            loop = re.match(r"for (.+) in .+:$", line)
            if not loop:
                continue
            names = set(re.findall(r"[A-Za-z_]\w*", loop.group(1)))
            body = list(itertools.takewhile(lambda text: not text or text.startswith(" "), lines[start + 1 :]))
            in_shell = False
            for text in body:
                indent = len(text) - len(text.lstrip())
                if text.strip() == "shell:":
                    in_shell, shell_indent = True, indent
                elif in_shell and text.strip() and indent <= shell_indent:
                    in_shell = False
                if in_shell:
                    used = names & set(re.findall(r"[A-Za-z_]\w*", text))
                    assert not used, (
                        f"{snakefile.name}: shell command reads loop variable {sorted(used)}: {text.strip()}"
                    )


def test_an_overlay_file_changes_one_nested_value_and_reruns_only_the_gcn_and_downstream(voc_workdir: Path):
    # README's workflow: the base config, then an overlay holding only the changed key
    overlay = voc_workdir / "fewer-steps.yaml"
    overlay.write_text("gcn:\n  train:\n    steps: 3\n")
    result = run_voc(voc_workdir, "-n", "--configfile", str(voc_workdir / "base.yaml"), str(overlay))
    counts = job_counts(result.stdout)
    assert counts.pop("gcn") == counts.pop("gcn_crf") == 4 and counts.pop("stage_params") > 0
    assert counts.pop("eval_labels") == 4  # GCN, GCN + CRF, the segmenter without and with the CRF
    downstream = {"table1", "seg_data", "train_seg", "segment", "seg_crf"}
    assert set(counts) == downstream | {"segmentation_table", "report", "all"}


def _sweep_jobs(workdir: Path, sweeps: dict, name: str) -> dict[str, int]:
    """Job counts of a dry run of the ``sweep`` target with ``sweeps`` over the base config,
    less the configured run's own summary tables (the report needs them; an earlier test
    may have left them written for another config)."""
    overlay = workdir / name
    overlay.write_text(yaml.safe_dump({"sweeps": sweeps}))
    counts = job_counts(
        run_voc(workdir, "sweep", "-n", "--configfile", str(workdir / "base.yaml"), str(overlay)).stdout
    )
    base = job_counts(run_voc(workdir, "-n", "--configfile", str(workdir / "base.yaml")).stdout)
    for summary in ("table1", "segmentation_table"):
        assert counts.get(summary) == base.get(summary)
        counts.pop(summary, None)
    return counts


UPSTREAM_OF_THE_GCN = {
    "train_cam",
    "cam",
    "ir_label",
    "train_irn",
    "boundary",
    "random_walk",
    "rw_crf",
    "partial_labels",
}


def test_a_gcn_sweep_schedules_only_gcn_jobs_and_their_evaluations(voc_workdir: Path):
    counts = _sweep_jobs(voc_workdir, {"steps": {"grid": {"gcn.train.steps": [3, 4, 5]}}}, "gcn-sweep.yaml")
    assert counts.pop("gcn") == counts.pop("gcn_crf") == 3 * 4  # three settings x four shards
    assert counts.pop("eval_labels") == 3 * 2 and counts.pop("stage_params") == 3 * 2
    assert counts == {"sweep_table": 1, "report": 1, "sweep": 1}
    assert not set(counts) & UPSTREAM_OF_THE_GCN


def test_settings_that_resolve_to_the_same_folders_share_their_jobs(voc_workdir: Path):
    same = {"a": {"gcn": {"train": {"steps": 3}}}, "b": {"gcn": {"train": {"steps": 3, "seed": 42}}}}
    base_seed = base_config(voc_workdir).get("gcn", {}).get("train", {}).get("seed", 42)
    assert base_seed == 42  # b's seed is the configured one: a and b are one setting
    counts = _sweep_jobs(voc_workdir, {"same": {"settings": same}}, "same-sweep.yaml")
    assert counts["gcn"] == counts["gcn_crf"] == 4 and counts["eval_labels"] == 2


def test_a_random_walk_threshold_sweep_schedules_only_random_walk_jobs(voc_workdir: Path):
    grid = {"random_walk.background_threshold": [0.20, 0.25, 0.30, 0.35]}  # 0.25: the configured run's
    counts = _sweep_jobs(voc_workdir, {"rw": {"grid": grid}}, "rw-sweep.yaml")
    assert counts.pop("random_walk") == counts.pop("rw_crf") == 3 * 4
    assert counts.pop("eval_labels") == 3 * 2 and counts.pop("stage_params") == 3 * 2
    assert counts == {"sweep_table": 1, "report": 1, "sweep": 1}


def test_an_evaluation_threshold_sweep_reruns_only_the_evaluation(voc_workdir: Path):
    counts = _sweep_jobs(voc_workdir, {"t": {"grid": {"cam.eval.threshold": [0.1, 0.15, 0.2]}}}, "t-sweep.yaml")
    assert counts == {"eval_cam": 2, "stage_params": 2, "sweep_table": 1, "report": 1, "sweep": 1}


def test_a_sweep_writes_its_table_plot_and_report_section(voc_workdir: Path):
    overlay = voc_workdir / "run-sweep.yaml"
    overlay.write_text(yaml.safe_dump({"sweeps": {"steps": {"grid": {"gcn.train.steps": [3, 5]}}}}))
    run_voc(voc_workdir, "sweep", "--cores", "2", "--configfile", str(voc_workdir / "base.yaml"), str(overlay))
    folder = voc_workdir / "results" / "tiny" / "sweeps" / "steps"
    table = pd.read_csv(folder / "table.csv")
    assert table["setting"].tolist() == ["steps=3", "steps=5"] and table["gcn.train.steps"].tolist() == [3, 5]
    gcn_folders = sorted(voc_workdir.glob("results/tiny/gcn/*/eval/miou.csv"))
    for row in table.itertuples():
        summaries = [
            path
            for path in gcn_folders
            if yaml.safe_load((path.parents[1] / "params.yaml").read_text())["params"]["train"]["steps"] == row[2]
        ]
        (gcn_table,) = summaries
        assert pytest.approx(pd.read_csv(gcn_table)["iou"].iloc[-1], abs=1e-4) == row.GCN
    assert {"gcn s/image", "gcn_crf s/image"} <= set(table.columns) and (table["gcn s/image"] > 0).all()
    assert (table["RW"] == table["RW"].iloc[0]).all()  # shared by both settings
    assert (folder / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    tables = html_tables((voc_workdir / "results" / "tiny" / "report.html").read_text())
    gcn_column = list(table.columns).index("GCN")
    assert [float(row[gcn_column][1]) for row in tables["sweep-steps"]] == pytest.approx(table["GCN"].tolist())
    _rerun_changed(voc_workdir, base_config(voc_workdir), "base.yaml", unchanged=())


def test_export_writes_the_pseudo_labels_as_a_voc_style_folder(voc_workdir: Path):
    config = base_config(voc_workdir)
    config["export"] = {"boundaries": True}
    run_voc(voc_workdir, "export", "--cores", "2", "--configfile", write_config(voc_workdir, config, "export.yaml"))

    export = voc_workdir / "exports" / "tiny" / "gcn_crf"
    assert sorted(path.name for path in export.parent.iterdir()) == ["gcn_crf"]  # no staging folder left
    ids = (export / "ImageSets" / "Segmentation" / "train_aug.txt").read_text().split()
    assert ids == (voc_workdir / "data" / "lists" / "infer.txt").read_text().split()
    pairs = (export / "ImageSets" / "SegmentationAug" / "train_aug.txt").read_text().splitlines()
    assert pairs == [f"/JPEGImages/{i}.jpg /SegmentationClassAug/{i}.png" for i in ids]
    record = json.loads((export / "labels.json").read_text())
    source = voc_workdir / record["stage_folder"]
    assert source.parent.name == "gcn_crf" and record["label_set"] == "gcn_crf" and record["images"] == len(ids)
    assert record["parameters"] == yaml.safe_load((source / "params.yaml").read_text())
    for image_id in ids:
        exported = Image.open(export / "SegmentationClassAug" / f"{image_id}.png")
        assert exported.mode == "P"
        # VOC's first colours: background, aeroplane, bicycle, bird, boat
        assert exported.getpalette()[:15] == [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0, 0, 0, 128]
        labels = np.array(exported)
        assert set(np.unique(labels).tolist()) <= {0, 1, 2, 3, 4, 255}
        assert np.array_equal(labels, np.array(Image.open(source / "images" / f"{image_id}.png")))
        boundary, _ = read_arrays(export / "Boundaries" / f"{image_id}.h5")
        assert {"boundary", "features"} <= set(boundary)


def _folders(workdir: Path, config: dict) -> dict[str, str]:
    """Stage -> folder (relative to ``workdir``) of ``config``'s pseudo-label chain, as the
    workflow names them."""
    full = read_config_files([write_config(workdir, config, "planned.yaml")])
    train_ids = (workdir / "data" / "lists" / "train.txt").read_text().split()
    return StageRegistry(full["results_dir"], full["dataset"]).plan(full, RunIds(train_ids, [], []), False)


def _write_irnet_cams(cam_dir: Path, out: Path) -> None:
    """The CAM files of ``cam_dir`` as IRNet's step/make_cam.py writes them: np.save of
    {"keys": valid_cat, "cam": strided_cam.cpu(), "high_res": highres_cam.cpu().numpy()}."""
    out.mkdir(exist_ok=True)
    for path in sorted(cam_dir.glob("images/*.h5")):
        arrays = read_cam(path, ("keys", "cam", "high_res"))
        record = {
            "keys": torch.from_numpy(arrays["keys"]),
            "cam": torch.from_numpy(arrays["cam"]),
            "high_res": arrays["high_res"],
        }
        np.save(out / f"{path.stem}.npy", record)


def _label_maps(folder: Path) -> dict[str, np.ndarray]:
    return {path.stem: np.array(Image.open(path)) for path in sorted(folder.glob("images/*.png"))}


def test_external_cams_in_irnet_format_reproduce_the_internal_pseudo_labels(voc_workdir: Path):
    base = base_config(voc_workdir)
    internal = _folders(voc_workdir, base)
    _write_irnet_cams(voc_workdir / internal["cam"], voc_workdir / "irn_cams")
    config = copy.deepcopy(base)
    config["cam"].update(source="external", external={"dir": "irn_cams", "format": "irn_npy"})
    external = _folders(voc_workdir, config)
    assert external["cam"].split("/")[-2] == "cam_import" and "train_cam" not in external
    table1 = "results/tiny/tables/table1.csv"
    config_path = write_config(voc_workdir, config, "external.yaml")
    shutil.copy2(voc_workdir / "irn_cams" / "demo_0000.npy", voc_workdir / "irn_cams" / "not_listed.npy")
    dry_run = run_voc(voc_workdir, table1, "-n", "--configfile", config_path)
    assert "irn_cams: 1 CAM files of ids not in dataset.lists.infer are not read, e.g. ['not_listed']" in dry_run.stderr
    counts = job_counts(dry_run.stdout)
    assert counts["import_cam"] == 4 and "train_cam" not in counts and "cam" not in counts
    run_voc(voc_workdir, table1, "--cores", "2", "--configfile", config_path)

    # the uint8 CAMs go through IRNet's format unchanged: so do IRNet and every label
    for stage in ("ir_label", "rw", "rw_crf", "partial", "gcn", "gcn_crf"):
        ours, theirs = _label_maps(voc_workdir / internal[stage]), _label_maps(voc_workdir / external[stage])
        assert len(ours) == 16 and ours.keys() == theirs.keys(), stage
        assert all(np.array_equal(ours[i], theirs[i]) for i in ours), stage
    for stage in ("rw", "rw_crf", "gcn", "gcn_crf"):  # Table 1's
        assert pd.read_csv(voc_workdir / external[stage] / "eval" / "miou.csv").equals(
            pd.read_csv(voc_workdir / internal[stage] / "eval" / "miou.csv")
        )

    # replacing one image's file (inferred, not trained on) recomputes that image only
    original = read_cam(voc_workdir / internal["cam"] / "images" / "demo_0014.h5", ("keys", "cam", "high_res"))
    squared = {"cam": original["cam"] ** 2, "high_res": original["high_res"] ** 2}
    record = {"keys": torch.from_numpy(original["keys"]), "cam": torch.from_numpy(squared["cam"])}
    np.save(voc_workdir / "irn_cams" / "demo_0014.npy", {**record, "high_res": squared["high_res"]})
    assert job_counts(run_voc(voc_workdir, table1, "-n", "--configfile", config_path).stdout) == {
        "import_cam": 1,
        "ir_label": 1,
        "partial_labels": 1,
        "boundary": 1,
        "random_walk": 1,
        "rw_crf": 1,
        "gcn": 1,
        "gcn_crf": 1,
        "eval_cam": 1,
        "eval_labels": 4,  # Table 1's RW, RW + CRF, GCN, GCN + CRF
        "table1": 1,
    }
    for log in workdir_logs(voc_workdir):
        log.unlink()
    run_voc(voc_workdir, table1, "--cores", "2", "--configfile", config_path)
    for stage in ("cam_import", "ir_label", "partial", "rw", "gcn", "gcn_crf"):
        (summary,) = _shard_log_summaries(voc_workdir, stage)
        assert summary.startswith("1 computed,"), stage
    (summary,) = _shard_log_summaries(voc_workdir, "boundary")
    assert summary.startswith("0 computed,")  # IRNet's maps do not read the CAMs
    imported, _ = read_arrays(voc_workdir / external["cam"] / "images" / "demo_0014.h5")
    assert np.array_equal(imported["high_res"], to_unit_levels(squared["high_res"]))


def test_refine_gives_the_workflows_complete_pseudo_labels(voc_workdir: Path):
    config = read_config_files([str(voc_workdir / "base.yaml")])
    folders = _folders(voc_workdir, base_config(voc_workdir))
    image_id = "demo_0003"
    cams = read_cam(voc_workdir / folders["cam"] / "images" / f"{image_id}.h5", ("keys", "cam"))
    stored, _ = read_arrays(voc_workdir / folders["boundary"] / "images" / f"{image_id}.h5")
    rgb = np.array(Image.open(voc_workdir / "data" / "JPEGImages" / f"{image_id}.jpg").convert("RGB"))
    labels = wsgcn.refine(rgb, cams["cam"], cams["keys"], stored["boundary"], stored["features"], config, image_id)
    workflow_labels = np.array(Image.open(voc_workdir / folders["gcn_crf"] / "images" / f"{image_id}.png"))
    assert labels.shape == rgb.shape[:2] and np.array_equal(labels, workflow_labels)


def test_external_labels_train_the_segmenter_as_the_same_labels_do(voc_workdir: Path):
    config = base_config(voc_workdir)
    external = voc_workdir / "external_labels"
    external.mkdir()
    for image_id in (voc_workdir / "data" / "lists" / "train.txt").read_text().split():
        shutil.copy2(voc_workdir / "data" / "SegmentationClass" / f"{image_id}.png", external)
    config["segmentation"].update(labels="external", external_labels_dir=str(external), compare_labels=["ground_truth"])
    target = "results/tiny/tables/segmentation.csv"
    config_path = write_config(voc_workdir, config, "external-labels.yaml")
    run_voc(voc_workdir, target, "--cores", "2", "--configfile", config_path)
    table = pd.read_csv(voc_workdir / target)
    assert table["training labels"].tolist() == ["external", "external", "ground truth", "ground truth"]
    # the ground-truth masks from another folder: the same segmenter
    np.testing.assert_array_equal(table.iloc[:2, 2:].to_numpy(float), table.iloc[2:, 2:].to_numpy(float))


def test_changing_a_crf_value_reruns_only_the_crfs_and_downstream(voc_workdir: Path):
    config = base_config(voc_workdir)
    config.setdefault("final_crf", {})["bilateral_srgb"] = 7
    # the dCRFs are stages of their own: no random-walk or GCN job ...
    assert dry_run_jobs(voc_workdir, config, "crf.yaml") == {
        "rw_crf": 4,
        "gcn_crf": 4,
        "eval_labels": 4,
        "stage_params": 6,  # rw_crf, gcn_crf, seg_data, train_seg, seg, seg_crf
        "table1": 1,
        "seg_data": 1,
        "train_seg": 1,
        "segment": 1,
        "seg_crf": 1,
        "segmentation_table": 1,
        "report": 1,
        "all": 1,
    }
    _rerun_changed(voc_workdir, config, "crf.yaml", unchanged=("cam", "ir_label", "boundary", "rw", "partial", "gcn"))
    # ... and the CRF stages read the stored walk scores and GCN log-probabilities
    for stage in ("rw_crf", "gcn_crf"):
        assert _image_counts(_shard_log_summaries(voc_workdir, stage)) == (16, 0)
    for stage in ("rw", "gcn"):
        assert not _shard_log_summaries(voc_workdir, stage)
    # going back, the base setting's CRF folders are still there
    _switching_back_reruns_only_the_summaries(voc_workdir)
    _rerun_changed(voc_workdir, base_config(voc_workdir), "base.yaml", unchanged=("rw_crf", "gcn_crf"))


def test_changing_a_value_reruns_only_the_rules_that_read_it(voc_workdir: Path):
    # each step gets only the config sections it reads: CAM inference scales do not retrain
    # the classifier, the IRNet schedule does not redo the IR labels, the segmentation CRF
    # does not retrain the segmenter
    for section, key, value, not_rerun in [
        ("cam", "infer", {"scales": [1.0]}, {"train_cam"}),
        ("irn", "train", {"epochs": 2}, {"ir_label", "cam", "train_cam"}),
        ("segmentation", "crf", {"iterations": 5}, {"train_seg", "seg_data", "segment", "gcn"}),
    ]:
        config = base_config(voc_workdir)
        config[section].setdefault(key, {}).update(value)
        counts = dry_run_jobs(voc_workdir, config, f"{section}-{key}.yaml")
        assert counts and not set(counts) & not_rerun, (section, key, counts)


@pytest.mark.slow  # a full rerun of every stage (about 3 minutes)
def test_changing_the_cam_schedule_reruns_everything_downstream_of_train_cam(voc_workdir: Path):
    config = base_config(voc_workdir)
    config["cam"]["train"]["epochs"] = 2
    assert dry_run_jobs(voc_workdir, config, "cam_schedule.yaml") == {
        "train_cam": 1,
        "cam": 4,
        "eval_cam": 1,
        "ir_label": 4,
        "train_irn": 1,
        "boundary": 4,
        "random_walk": 4,
        "rw_crf": 4,
        "partial_labels": 4,
        "gcn": 4,
        "gcn_crf": 4,
        "eval_labels": 8,
        "stage_params": 15,  # every folder of the setting but the segmenter's split
        "table1": 1,
        "seg_data": 1,
        "train_seg": 1,
        "segment": 1,
        "seg_crf": 1,
        "segmentation_table": 1,
        "report": 1,
        "all": 1,
    }
    _rerun_changed(voc_workdir, config, "cam_schedule.yaml", unchanged=())
    for stage in ("cam", "ir_label", "boundary", "partial"):
        assert _image_counts(_shard_log_summaries(voc_workdir, stage)) == (16, 0)
    _switching_back_reruns_only_the_summaries(voc_workdir)


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


def test_editing_a_package_module_reruns_the_stages_that_import_it(voc_workdir: Path):
    # Snakemake's code trigger sees only a rule's own text. Each rule lists the modules its
    # step imports as inputs (checksummed, so a mere touch reruns nothing), and every
    # per-image result key includes their digest, so a rescheduled job recomputes.
    module = voc_workdir / "project" / "wsgcn" / "gcn" / "loss.py"  # imported by the gcn step only
    module.touch()
    assert dry_run_jobs(voc_workdir, base_config(voc_workdir), "base.yaml") == {}
    module.write_text(module.read_text() + "# edited\n")
    assert dry_run_jobs(voc_workdir, base_config(voc_workdir), "base.yaml") == {
        "gcn": 4,
        "gcn_crf": 4,  # its input, the GCN's manifests, is rewritten
        "eval_labels": 4,
        "table1": 1,
        "seg_data": 1,
        "train_seg": 1,
        "segment": 1,
        "seg_crf": 1,
        "segmentation_table": 1,
        "report": 1,
        "all": 1,
    }
    _rerun_changed(
        voc_workdir, base_config(voc_workdir), "base.yaml", unchanged=("cam", "ir_label", "boundary", "rw", "partial")
    )
    inferred = len((voc_workdir / "data" / "lists" / "infer.txt").read_text().split())  # 17 after the tests above
    gcn, gcn_crf = (_shard_log_summaries(voc_workdir, stage) for stage in ("gcn", "gcn_crf"))
    assert _image_counts(gcn) == _image_counts(gcn_crf) == (inferred, 0)


def test_editing_a_module_the_input_check_also_imports_retrains_both_networks(voc_workdir: Path):
    # The input check reruns too, and Snakemake then reaches the training jobs only through
    # inputs that are not ancient(): their code stamps.
    module = voc_workdir / "project" / "wsgcn" / "data" / "dataset.py"
    original = module.read_text()
    module.write_text(original + "# edited\n")
    try:
        jobs = dry_run_jobs(voc_workdir, base_config(voc_workdir), "base.yaml")
    finally:
        module.write_text(original)
    assert jobs.get("train_cam") == jobs.get("train_irn") == 1 and jobs.get("check_inputs") == 4
    assert jobs["code_stamp"] == 2
    assert dry_run_jobs(voc_workdir, base_config(voc_workdir), "base.yaml") == {}


def test_editing_the_random_walk_retrains_no_irnet(voc_workdir: Path):
    # one module per step: IRNet's training and the boundary maps do not run the random walk;
    # the random walk and the GCN (whose graph is the walk's transition matrix) do
    module = voc_workdir / "project" / "wsgcn" / "affinity" / "random_walk.py"
    module.write_text(module.read_text() + "# edited\n")
    assert dry_run_jobs(voc_workdir, base_config(voc_workdir), "base.yaml") == {
        "random_walk": 4,
        "rw_crf": 4,
        "gcn": 4,
        "gcn_crf": 4,
        "eval_labels": 6,
        "table1": 1,
        "seg_data": 1,
        "train_seg": 1,
        "segment": 1,
        "seg_crf": 1,
        "segmentation_table": 1,
        "report": 1,
        "all": 1,
    }
    _rerun_changed(
        voc_workdir, base_config(voc_workdir), "base.yaml", unchanged=("cam", "ir_label", "boundary", "partial")
    )
    inferred = len((voc_workdir / "data" / "lists" / "infer.txt").read_text().split())
    rw, rw_crf = (_shard_log_summaries(voc_workdir, stage) for stage in ("rw", "rw_crf"))
    assert _image_counts(rw) == _image_counts(rw_crf) == (inferred, 0)


def test_editing_the_cam_evaluation_reruns_only_the_evaluation(voc_workdir: Path):
    # the evaluation lives apart from the CAM stage's code, so the classifier and its CAMs stay
    module = voc_workdir / "project" / "wsgcn" / "cam" / "evaluate.py"
    module.write_text(module.read_text() + "# edited\n")
    assert dry_run_jobs(voc_workdir, base_config(voc_workdir), "base.yaml") == {
        "eval_cam": 1,
        "table1": 1,
        "report": 1,
        "all": 1,
    }
    _rerun_changed(voc_workdir, base_config(voc_workdir), "base.yaml", unchanged=("cam", "ir_label", "partial"))


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
    assert ("Error validating config file" in output and f"'{key}'" in output) or key in output.split(
        "ValidationError"
    )[1]
    assert not (tmp_path / "results").exists() and not (tmp_path / "resources").exists()


def test_working_size_limits_out_of_order_stop_before_any_job(tmp_path: Path):
    config = tiny_cam_config()
    config["dataset"]["working_size"] = {"min_side": 600, "max_side": 500}
    result = run_snakemake(tmp_path, "--cores", "1", "--configfile", write_config(tmp_path, config), check=False)
    assert result.returncode != 0
    assert "dataset.working_size: need 1 <= min_side <= max_side, got 600 and 500" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists() and not (tmp_path / "resources").exists()
