"""The expensive computation of a labels stage runs once per image, and its CRF stage
reads what the labels stage stored instead of running it again: counted calls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import wsgcn.affinity.random_walk as random_walk_module
import wsgcn.steps.random_walk as random_walk_step
import wsgcn.steps.rw_crf as rw_crf_step
import wsgcn.steps.seg_crf as seg_crf_step
import wsgcn.steps.segment as segment_step
from wsgcn.cam.files import cam_result_path
from wsgcn.data.demo import write_demo_dataset
from wsgcn.data.images import load_rgb
from wsgcn.io.h5store import INPUT_KEY, write_arrays
from wsgcn.io.label_png import read_label_png
from wsgcn.io.layout import boundary_path, label_path
from wsgcn.segmentation.deeplab import DeepLabV2
from wsgcn.segmentation.train import DeepLabParams

CLASSES = ["disk", "square", "triangle", "cross"]
SIZE = (48, 64)
CRF = {
    "gaussian_sxy": 3,
    "gaussian_compat": 3,
    "bilateral_sxy": 50,
    "bilateral_srgb": 5,
    "bilateral_compat": 3,
    "iterations": 2,
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[dict, list[str]]:
    root = tmp_path_factory.mktemp("once") / "data"
    ids = write_demo_dataset(root, 3, seed=5, size=SIZE)
    dataset = {"name": "t", "kind": "voc", "root": str(root), "class_names": CLASSES, "labels": {"source": "xml"}}
    return dataset, ids


def _size(dataset: dict, image_id: str) -> tuple[int, int]:
    return load_rgb(Path(dataset["root"]) / "JPEGImages" / f"{image_id}.jpg").shape[:2]


def _forbidden(*args, **kwargs):
    raise AssertionError("called where the stored result should have been read")


def _counting(monkeypatch, module, name: str) -> list[int]:
    calls = [0]
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_a_fresh_rw_shard_walks_each_image_once(demo, tmp_path: Path, monkeypatch):
    dataset, ids = demo
    rng = np.random.default_rng(0)
    for index, image_id in enumerate(ids):
        height, width = _size(dataset, image_id)
        grid = (-(-height // 4), -(-width // 4))
        write_arrays(
            cam_result_path(tmp_path / "cam", image_id),
            {"keys": np.array([index % 4], np.int16), "cam": rng.random((1, *grid), dtype=np.float32)},
            {INPUT_KEY: f"cam-{image_id}"},
        )
        write_arrays(
            boundary_path(tmp_path / "boundary", image_id),
            {"boundary": rng.random(grid, dtype=np.float32) * 0.5},
            {INPUT_KEY: f"b-{image_id}", "height": height, "width": width},
        )
    spec = {
        "dataset": dataset,
        "random_walk": {"radius": 5, "beta": 10, "exp_times": 8, "background_threshold": 0.25},
        "final_crf": {"softmax_quirk": True, **CRF},
    }
    walks = _counting(monkeypatch, random_walk_step, "walk_scores")
    folders = [str(tmp_path / name) for name in ("cam", "boundary", "rw")]
    args = (spec, ids, *folders, str(tmp_path / "rw.json"), "cpu")
    crf_args = (spec, ids, str(tmp_path / "rw"), str(tmp_path / "rw_crf"), str(tmp_path / "rw_crf.json"))
    random_walk_step.random_walk_shard(*args)
    assert walks[0] == len(ids)
    monkeypatch.setattr(random_walk_module, "propagate", _forbidden)  # the CRF stage must not walk
    rw_crf_step.rw_crf_shard(*crf_args)
    for image_id in ids:
        assert read_label_png(label_path(tmp_path / "rw_crf", image_id)).shape == _size(dataset, image_id)
    random_walk_step.random_walk_shard(*args)  # all reused
    assert walks[0] == len(ids)


def test_a_fresh_segment_shard_runs_the_network_once_per_image(demo, tmp_path: Path, monkeypatch):
    dataset, ids = demo
    model_config = {
        "backbone": "efficientnet_lite2",
        "weights": "none",
        "output_stride": 16,
        "aspp_rates": [2],
        "msc_scales": [],
        "input_mean": None,
        "input_std": None,
    }
    spec = {"dataset": dataset, "segmentation": {"model": model_config, "crf": CRF}}
    torch.manual_seed(0)
    torch.save(DeepLabParams.from_config(model_config).build(5).state_dict(), tmp_path / "model.pt")
    forwards = _counting(monkeypatch, segment_step, "segmenter_logits")
    args = (spec, ids, str(tmp_path / "model.pt"), str(tmp_path / "seg"), str(tmp_path / "seg.json"), "cpu")
    segment_step.infer_shard(*args)
    assert forwards[0] == len(ids)
    monkeypatch.setattr(DeepLabV2, "forward", _forbidden)  # the CRF stage runs no network
    seg_crf_step.seg_crf_shard(spec, ids, str(tmp_path / "seg"), str(tmp_path / "seg_crf"), str(tmp_path / "c.json"))
    for image_id in ids:
        assert read_label_png(label_path(tmp_path / "seg_crf", image_id)).shape == _size(dataset, image_id)
