"""Bad input through the whole workflow: each case stops the run with one message naming
the file or key and the problem, before any model work, and leaves no result behind."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import run_snakemake
from damage import grow_mask, resize_image, set_mask_value, truncate
from PIL import Image
from test_workflow import tiny_cam_config, write_config

from wsgcn.data.demo import write_demo_dataset
from wsgcn.io.h5store import read_arrays
from wsgcn.io.label_png import read_label_png

CLASS_NAMES = ["disk", "square", "triangle", "cross"]


@pytest.fixture(scope="module")
def clean_dataset(tmp_path_factory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("clean") / "data"
    ids = write_demo_dataset(root, 8, seed=8, size=(64, 80))
    (root / "lists").mkdir()
    (root / "lists" / "all.txt").write_text("\n".join(ids) + "\n")
    return root, ids


def _workdir(tmp_path: Path, clean_dataset) -> tuple[Path, list[str], dict]:
    root, ids = clean_dataset
    shutil.copytree(root, tmp_path / "data")
    config = tiny_cam_config(
        dataset={
            "name": "bad",
            "kind": "voc",
            "root": "data",
            "class_names": CLASS_NAMES,
            "lists": {"train": "lists/all.txt", "infer": "lists/all.txt", "eval": "lists/all.txt"},
            "labels": {"source": "xml"},
        }
    )
    del config["demo"]
    config["sharding"]["images_per_shard"] = 2
    config["segmentation"]["holdout"] = 2
    return tmp_path / "data", ids, config


def _fails(tmp_path: Path, config: dict) -> str:
    result = run_snakemake(tmp_path, "--cores", "2", "--configfile", write_config(tmp_path, config), check=False)
    assert result.returncode != 0, "the workflow accepted bad input"
    return result.stdout + result.stderr


def _results(tmp_path: Path) -> list[Path]:
    """Every model, per-image result and table written (parameter records, code stamps, the
    segmentation split lists and the input check records, which --keep-going lets run, are
    not results)."""
    return [
        p
        for p in (tmp_path / "results").rglob("*")
        if p.is_file() and p.name != "params.yaml" and not {"input_check", "seg_split", "code"} & set(p.parts)
    ]


# case -> (file to damage, damage, message); {path} is the damaged file. Each case damages
# another image, and one run (--keep-going) must report every one of them.
FILE_CASES = {
    "truncated JPEG": ("JPEGImages/{id}.jpg", truncate, "{path}: cannot decode image"),
    "garbage image": (
        "JPEGImages/{id}.jpg",
        lambda p: p.write_bytes(b"GIF89a not really"),
        "{path}: cannot decode image",
    ),
    "mask value 30": (
        "SegmentationClass/{id}.png",
        lambda p: set_mask_value(p, 30),
        "{path}: mask values [30] are outside 0..4 and 255",
    ),
    "mask of another size": ("SegmentationClass/{id}.png", lambda p: grow_mask(p, 0, 5), "{path}: mask is"),
    "image too elongated to resize": (
        "JPEGImages/{id}.jpg",
        lambda p: resize_image(p, 1100, 20),
        "{path}: image of 20x1100 pixels: its aspect ratio does not fit dataset.working_size",
    ),
    "broken annotation": (
        "Annotations/{id}.xml",
        lambda p: p.write_text("<annotation><object>"),
        "{path}: invalid XML",
    ),
}


def test_damaged_files_stop_the_run_before_any_result_and_each_is_named(tmp_path, clean_dataset):
    root, ids, config = _workdir(tmp_path, clean_dataset)
    messages = []
    for image_id, (relative, damage, message) in zip(ids, FILE_CASES.values(), strict=False):
        path = root / relative.format(id=image_id)
        damage(path)
        messages.append(message.format(path=path.relative_to(tmp_path)))
    result = run_snakemake(
        tmp_path, "--cores", "2", "--keep-going", "--configfile", write_config(tmp_path, config), check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert [m for m in messages if m not in output] == []
    assert _results(tmp_path) == []


def test_an_image_missing_from_disk_is_named_before_any_job(tmp_path, clean_dataset):
    root, ids, config = _workdir(tmp_path, clean_dataset)
    (root / "JPEGImages" / f"{ids[2]}.jpg").unlink()
    output = _fails(tmp_path, config)
    assert "Missing input files" in output and f"data/JPEGImages/{ids[2]}.jpg" in output
    assert not (tmp_path / "results").exists()


LIST_CASES = {
    "duplicate id": (lambda ids: [*ids, ids[0]], "duplicate image id '{first}' in {list} (lines 1 and 9)"),
    "id with a semicolon": (lambda ids: [*ids[:5], "x;rm"], "invalid image id 'x;rm' in {list}:6"),
    "id starting with a dash": (lambda ids: [*ids[:5], "-rf"], "invalid image id '-rf' in {list}:6"),
}


@pytest.mark.parametrize("case", LIST_CASES)
def test_a_bad_image_list_stops_the_run_before_any_job(tmp_path, clean_dataset, case):
    root, ids, config = _workdir(tmp_path, clean_dataset)
    make_list, message = LIST_CASES[case]
    (root / "lists" / "all.txt").write_text("\n".join(make_list(ids)) + "\n")
    output = _fails(tmp_path, config)
    assert message.format(first=ids[0], list="data/lists/all.txt") in output
    assert not (tmp_path / "results").exists()


# Config values of the wrong type, out of range or unknown: test_workflow.py's
# test_bad_config_stops_before_any_job_naming_the_key.


@pytest.mark.slow
@pytest.mark.parametrize("weights", ["missing.pth", "not-weights.pth"])
def test_a_missing_or_wrong_weights_file_is_named(tmp_path, clean_dataset, weights):
    _, _, config = _workdir(tmp_path, clean_dataset)
    if weights == "not-weights.pth":
        (tmp_path / weights).write_bytes(b"\x80\x04 this is no state dict")
    config["backbone"]["weights"] = str(tmp_path / weights)
    output = _fails(tmp_path, config)
    problem = "weights file does not exist" if weights == "missing.pth" else "cannot load weights"
    assert f"{tmp_path / weights}: {problem}" in output
    assert not list((tmp_path / "results").rglob("model.pt")) and not list((tmp_path / "results").rglob("*.h5"))


@pytest.mark.slow
def test_images_outside_the_working_size_run_through_the_whole_chain_resized(tmp_path, clean_dataset):
    root, ids, config = _workdir(tmp_path, clean_dataset)
    config["dataset"]["working_size"] = {"min_side": 32, "max_side": 120}
    # one image (and its mask) far larger, one smaller than the limits; the rest untouched
    for image_id, (width, height) in {ids[1]: (200, 160), ids[4]: (25, 20)}.items():
        resize_image(root / "JPEGImages" / f"{image_id}.jpg", width, height)
        mask = Image.open(root / "SegmentationClass" / f"{image_id}.png")
        mask.resize((width, height), Image.NEAREST).save(root / "SegmentationClass" / f"{image_id}.png")
    run_snakemake(tmp_path, "--cores", "2", "--configfile", write_config(tmp_path, config))

    # (height, width) of every image as processed: resized ones, the rest as on disk
    working = {i: Image.open(root / "JPEGImages" / f"{i}.jpg").size[::-1] for i in ids} | {
        ids[1]: (96, 120),
        ids[4]: (32, 40),
    }
    for stage in ("cam", "gcn_crf", "seg_crf"):  # the segmenter labels only its held-out images
        folders = [p for p in (tmp_path / "results" / "bad" / stage).glob("*") if (p / "images").is_dir()]
        assert len(folders) == 1, (stage, folders)
        files = sorted((folders[0] / "images").iterdir())
        assert len(files) == (2 if stage == "seg_crf" else len(ids)), (stage, files)
        for path in files:
            shape = read_arrays(path)[0]["high_res"].shape[1:] if path.suffix == ".h5" else read_label_png(path).shape
            assert shape == working[path.stem], (stage, path.stem, shape)
    records = {}
    for record in (tmp_path / "results" / "bad" / "input_check").glob("*.json"):
        records.update(json.loads(record.read_text())["images"])
    assert records[ids[1]] == {
        **records[ids[1]],
        "height": 160,
        "width": 200,
        "working_height": 96,
        "working_width": 120,
    }
    report = (tmp_path / "results" / "bad" / "report.html").read_text()
    assert re.search(rf'id="resized">2 image\(s\)[^<]*: {ids[1]}, {ids[4]}</p>', report)
