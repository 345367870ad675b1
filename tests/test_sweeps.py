"""Sweeps: settings from a grid or named overlays, validated; the stage registry shares the
folders that settings agree on; the sweep table and its best marks."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import PROJECT

from wsgcn.config_schema import merged, read_config_files
from wsgcn.errors import ConfigError
from wsgcn.evaluation.sweep import sweep_frame, sweep_markdown
from wsgcn.hashing import stage_hash, text_digest
from wsgcn.plan import RunIds, StageRegistry
from wsgcn.sweeps import flat_changes, sweep_settings

BASE = read_config_files([PROJECT / "config" / "config.yaml"])
IDS = RunIds(train=["a", "b", "c"], seg_train=["a", "b"], seg_eval=["c"])


def test_a_grid_is_the_product_of_its_keys_values_in_order():
    sweep = {"grid": {"gcn.train.steps": [10, 20], "random_walk.background_threshold": [0.2, 0.3]}}
    settings = sweep_settings(BASE, "s", sweep)
    assert [s.name for s in settings] == [
        "steps=10, background_threshold=0.2",
        "steps=10, background_threshold=0.3",
        "steps=20, background_threshold=0.2",
        "steps=20, background_threshold=0.3",
    ]
    last = settings[-1]
    assert last.config["gcn"]["train"]["steps"] == 20 and last.config["random_walk"]["background_threshold"] == 0.3
    assert last.changes == {"gcn.train.steps": 20, "random_walk.background_threshold": 0.3}
    # everything else is the base config's
    assert last.config["gcn"]["train"]["entropy_weight"] == BASE["gcn"]["train"]["entropy_weight"]
    assert BASE["gcn"]["train"]["steps"] == 250  # the base is not modified


def test_named_settings_are_partial_configs_and_an_empty_one_is_the_base():
    settings = sweep_settings(BASE, "s", {"settings": {"edge1": {"irn": {"model": {"edge_kernel": 1}}}, "base": None}})
    assert [s.name for s in settings] == ["edge1", "base"]
    assert settings[0].changes == {"irn.model.edge_kernel": 1} and settings[1].config == BASE


@pytest.mark.parametrize(
    "sweep, message",
    [
        ({"grid": {"random_walk.background_treshold": [0.2]}}, "random_walk.background_treshold is not a config key"),
        ({"grid": {"gcn.train.steps": [10, "many"]}}, "setting 'steps=many': gcn.train.steps: 'many' is not of type"),
        ({"grid": {"gcn.train.steps": 10}}, "sweeps.s.grid.gcn.train.steps: a non-empty list"),
        ({"settings": {"x": {"dataset": {"name": "other"}}}}, "setting 'x': dataset cannot differ"),
        ({"settings": {"x": {"gcn": {"train": {"stepz": 3}}}}}, "setting 'x': gcn.train.stepz is not a config key"),
        ({"grid": {"gcn.train.steps": [1]}, "settings": {"x": {}}}, "give either grid or settings"),
    ],
)
def test_a_bad_setting_names_the_sweep_the_setting_and_the_key(sweep, message):
    with pytest.raises(ConfigError, match=r"^sweeps\.s") as error:
        sweep_settings(BASE, "s", sweep)
    assert message in str(error.value)


def test_flat_changes_lists_the_leaves_as_dotted_keys():
    assert flat_changes({"a": {"b": 1, "c": {"d": [2]}}, "e": {}}) == {"a.b": 1, "a.c.d": [2], "e": {}}


def test_settings_share_every_folder_they_agree_on():
    registry = StageRegistry("results", BASE["dataset"])
    base = registry.plan(BASE, IDS)
    steps = registry.plan(merged(BASE, {"gcn": {"train": {"steps": 10}}}), IDS)
    threshold = registry.plan(merged(BASE, {"random_walk": {"background_threshold": 0.3}}), IDS)
    changed = {stage for stage in base if steps[stage] != base[stage]}
    # the segmenter trains on GCN + CRF labels: its chain follows them
    assert changed == {"gcn", "gcn_crf", "seg_data", "train_seg", "seg", "seg_crf"}
    assert {stage for stage in base if threshold[stage] != base[stage]} == {"rw", "rw_crf"}
    again = registry.plan(merged(BASE, {"gcn": {"train": {"steps": 10}}}), IDS)
    assert again == steps
    assert len(registry.stages) == len(base) + 2 + 2 + 4  # new gcn, gcn_crf, rw, rw_crf; the steps' seg chain


def test_a_folder_is_the_hash_of_its_parameters_chained_with_its_upstream_hash():
    registry = StageRegistry("results", BASE["dataset"])
    folders = registry.plan(BASE, IDS, segmentation=False)
    train_cam = stage_hash(
        {
            "backbone": {"name": BASE["backbone"]["name"], "weights": BASE["backbone"]["weights"]},
            "train": BASE["cam"]["train"],
            "class_names": BASE["dataset"]["class_names"],
            "train_ids": text_digest("a", "b", "c"),
        }
    )
    cam = stage_hash({"infer": BASE["cam"]["infer"]}, train_cam)
    partial = stage_hash({"partial_labels": BASE["gcn"]["partial_labels"]}, cam)
    assert folders["cam"] == f"results/{BASE['dataset']['name']}/cam/{cam}"
    assert folders["partial"].endswith(f"/partial/{partial}")
    assert registry.stage(folders["gcn"]).upstream == {"partial": folders["partial"], "boundary": folders["boundary"]}
    record = registry.records[folders["cam"]]
    assert record == {"stage": "cam", "hash": cam, "upstream": train_cam, "params": {"infer": BASE["cam"]["infer"]}}
    with pytest.raises(ConfigError, match="not a stage folder"):
        registry.stage("results/demo/gcn/0000000000")


def _summary(path: Path, miou: float, labelled: float = 1.0) -> str:
    path.write_text(json.dumps({"miou": miou, "images": 4, "labelled": labelled}))
    return str(path)


def test_the_sweep_table_reads_each_settings_results_and_times(tmp_path: Path):
    bench = tmp_path / "bench"
    bench.mkdir()
    for shard, seconds in (("s0", 3.0), ("s1", 5.0)):
        (bench / f"{shard}.tsv").write_text(f"s\th:m:s\tmax_rss\n{seconds}\t0:00:0{seconds:.0f}\t100\n")
    rows = [
        {
            "setting": "steps=10",
            "values": {"gcn.train.steps": 10},
            "results": [
                ["partial labels", _summary(tmp_path / "p.json", 80.0, 0.25), True],
                ["GCN", _summary(tmp_path / "g1.json", 60.0), False],
            ],
            "timings": [["gcn s/image", [str(bench / "*.tsv")], 4]],
        },
        {
            "setting": "steps=20",
            "values": {"gcn.train.steps": 20},
            "results": [
                ["partial labels", _summary(tmp_path / "p.json", 80.0, 0.25), True],
                ["GCN", _summary(tmp_path / "g2.json", 62.5), False],
            ],
            "timings": [["gcn s/image", [str(tmp_path / "none" / "*.tsv")], 4]],
        },
    ]
    frame = sweep_frame(rows)
    assert list(frame.columns) == [
        "setting",
        "gcn.train.steps",
        "partial labels",
        "partial labels labelled (%)",
        "GCN",
        "gcn s/image",
    ]
    assert frame["GCN"].tolist() == [60.0, 62.5] and frame["partial labels labelled (%)"].tolist() == [25.0, 25.0]
    assert frame["gcn s/image"].iloc[0] == 2.0 and pd.isna(frame["gcn s/image"].iloc[1])  # (3 + 5) s / 4 images
    markdown = sweep_markdown(frame, ["partial labels", "GCN"], "Steps")
    assert "| steps=20 | 20 | **80.00** | 25 | **62.50** | - |" in markdown
    assert "| steps=10 | 10 | **80.00** | 25 | 60.00 | 2 |" in markdown


def test_the_shipped_sweep_files_are_valid():
    for path in sorted((PROJECT / "config" / "sweeps").glob("*.yaml")):
        sweeps = yaml.safe_load(path.read_text())["sweeps"]
        base = read_config_files([PROJECT / "config" / "voc-sample.yaml"])
        for name, sweep in sweeps.items():
            assert len(sweep_settings(base, name, sweep)) >= 2, path
