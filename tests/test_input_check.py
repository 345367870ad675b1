"""The per-shard input check: every bad-input case gets one line naming the file and the
problem, and no check record is written for a shard with any problem."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from damage import grow_mask, resize_image, set_mask_value, truncate
from PIL import Image

from wsgcn.data.check import check_shard, flagged_images
from wsgcn.data.dataset import Dataset, dataset_from_config
from wsgcn.data.demo import DEMO_CLASSES, write_demo_dataset
from wsgcn.errors import InputError


@pytest.fixture
def dataset(tmp_path: Path) -> tuple[Dataset, list[str]]:
    ids = write_demo_dataset(tmp_path / "voc", 4, seed=2, size=(64, 80))
    # the demo images here are 60-95 pixels a side
    return dataset_from_config(
        {
            "root": str(tmp_path / "voc"),
            "class_names": list(DEMO_CLASSES),
            "working_size": {"min_side": 32, "max_side": 100},
        }
    ), ids


def _record(tmp_path: Path) -> Path:
    return tmp_path / "check" / "s0000.json"


def test_a_good_shard_records_sizes_labels_and_converts_odd_image_modes(dataset, tmp_path):
    data, ids = dataset
    sizes = [Image.open(data.image_path(i)).size[::-1] for i in ids]
    # grayscale and RGBA versions of two images pass (converted, not rejected)
    Image.open(data.image_path(ids[0])).convert("L").save(data.image_path(ids[0]), format="JPEG")
    rgb = np.asarray(Image.open(data.image_path(ids[1])).convert("RGB"))
    Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 9, np.uint8)]), mode="RGBA").save(
        data.image_path(ids[1]), format="PNG"
    )
    records = check_shard(data, ids, set(ids), _record(tmp_path))
    assert [(r.height, r.width) for r in records.values()] == sizes
    assert [(r.working_height, r.working_width) for r in records.values()] == sizes
    stored = json.loads(_record(tmp_path).read_text())
    assert sorted(stored["images"]) == sorted(ids)
    assert stored["images"][ids[2]]["labels"] == list(records[ids[2]].labels) and records[ids[2]].labels
    assert stored["no_foreground"] == [] and stored["resized"] == []


def test_images_outside_the_working_size_pass_with_both_sizes_recorded(dataset, tmp_path):
    data, ids = dataset
    resize_image(data.image_path(ids[0]), 200, 160)
    resize_image(data.image_path(ids[2]), 20, 25)
    records = check_shard(data, ids, set(), _record(tmp_path))
    assert (records[ids[0]].height, records[ids[0]].width) == (160, 200)
    assert (records[ids[0]].working_height, records[ids[0]].working_width) == (80, 100)
    assert (records[ids[2]].working_height, records[ids[2]].working_width) == (40, 32)
    assert flagged_images([_record(tmp_path)])["resized"] == [ids[0], ids[2]]


def test_an_image_without_foreground_passes_and_is_listed(dataset, tmp_path):
    data, ids = dataset
    xml = data.annotation_path(ids[3])
    text = xml.read_text()
    xml.write_text(text[: text.index("<object>")] + "</annotation>\n")
    check_shard(data, ids, set(), _record(tmp_path))
    assert flagged_images([_record(tmp_path)])["no_foreground"] == [ids[3]]


CASES = {
    "truncated image": ("image", truncate, "cannot decode image"),
    "missing image": ("image", lambda path: path.unlink(), "file does not exist"),
    "mask of another size": (
        "mask",
        lambda p: grow_mask(p, 3, 0),
        r"mask is \d+x\d+ pixels but its image .* is \d+x\d+$",
    ),
    "mask value 77": ("mask", lambda p: set_mask_value(p, 77), r"mask values \[77\] are outside 0..4 and 255"),
    "aspect ratio fits no working size": (
        "image",
        lambda p: resize_image(p, 400, 20),
        "image of 20x400 pixels: its aspect ratio does not fit",
    ),
    "broken annotation": ("annotation", lambda path: path.write_text("<annotation><object>"), "invalid XML"),
}


@pytest.mark.parametrize("case", CASES)
def test_each_bad_input_names_the_file_and_writes_no_record(dataset, tmp_path, case):
    data, ids = dataset
    kind, damage, message = CASES[case]
    path = {"image": data.image_path, "mask": data.mask_path, "annotation": data.annotation_path}[kind](ids[1])
    damage(path)
    with pytest.raises(InputError) as error:
        check_shard(data, ids, set(ids), _record(tmp_path))
    assert f"1 of 4 images failed the input check:\n{path}: " in str(error.value)
    assert re.search(message, str(error.value))
    assert not _record(tmp_path).parent.exists()


def test_masks_are_checked_only_where_used(dataset, tmp_path):
    data, ids = dataset
    grow_mask(data.mask_path(ids[0]), 3, 0)
    check_shard(data, ids, set(ids[1:]), _record(tmp_path))  # labels from XML, ids[0] not evaluated
    with pytest.raises(InputError, match="pixels but its image"):
        check_shard(data, ids, set(ids), _record(tmp_path))


def test_every_problem_of_a_shard_is_listed(dataset, tmp_path):
    data, ids = dataset
    truncate(data.image_path(ids[0]))
    set_mask_value(data.mask_path(ids[2]), 77)
    with pytest.raises(InputError) as error:
        check_shard(data, ids, set(ids), _record(tmp_path))
    lines = str(error.value).splitlines()
    assert lines[0] == "2 of 4 images failed the input check:"
    assert lines[1].startswith(f"{data.image_path(ids[0])}: cannot decode image")
    assert lines[2].startswith(f"{data.mask_path(ids[2])}: mask values [77]")
