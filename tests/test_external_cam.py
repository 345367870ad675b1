"""External CAM files: the three formats, IRNet's normalisation, and one error per bad file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_dataset

from wsgcn.cam.external import read_external_cam
from wsgcn.cam.files import cam_result_path, external_cam_path, read_cam
from wsgcn.data.demo import DEMO_CLASSES, write_demo_dataset
from wsgcn.errors import InputError
from wsgcn.io.h5store import INPUT_KEY, write_arrays
from wsgcn.steps.import_cam import import_shard

SIZE = (17, 21)
STRIDED = (5, 6)
IMAGE_SIZE = (40, 48)  # demo images about this size


def _unit(shape, seed=0):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


def _irn_file(tmp_path: Path, keys, high_res, cam=None, name="a") -> Path:
    # as IRNet's make_cam writes it: keys and cam as torch tensors, high_res as numpy
    content = {"keys": torch.tensor(keys), "high_res": high_res}
    if cam is not None:
        content["cam"] = torch.from_numpy(cam)
    path = external_cam_path(tmp_path, name, "irn_npy")
    np.save(path, content)
    return path


def test_irnet_file_in_unit_range_is_taken_as_it_is(tmp_path: Path):
    high_res, cam = _unit((2, *SIZE)), _unit((2, *STRIDED), 1)
    result = read_external_cam(_irn_file(tmp_path, [1, 4], high_res, cam), "irn_npy", [1, 4], SIZE, False)
    assert result.keys.tolist() == [1, 4]
    assert np.array_equal(result.high_res, high_res) and np.array_equal(result.cam, cam)


def test_keys_in_another_order_reorder_the_maps(tmp_path: Path):
    high_res, cam = _unit((2, *SIZE)), _unit((2, *STRIDED), 1)
    result = read_external_cam(_irn_file(tmp_path, [4, 1], high_res, cam), "irn_npy", [1, 4], SIZE, False)
    assert result.keys.tolist() == [1, 4]
    assert np.array_equal(result.high_res, high_res[::-1]) and np.array_equal(result.cam, cam[::-1])


def test_raw_scores_are_normalised_per_class_as_irnet_does(tmp_path: Path):
    high_res = np.zeros((2, *SIZE), np.float32)
    high_res[0, 0, :3] = [-2.0, 3.0, 6.0]  # class 0 peaks at 6, class 1 at 4
    high_res[1, 5, 5] = 4.0
    high_res[1, 6, 6] = 2.0
    result = read_external_cam(_irn_file(tmp_path, [0, 7], high_res), "irn_npy", [0, 7], SIZE, False)
    # by hand: negatives to 0, then each class divided by its maximum + 1e-5
    assert result.high_res[0, 0, :3] == pytest.approx([0.0, 3.0 / (6 + 1e-5), 6.0 / (6 + 1e-5)], rel=1e-6)
    assert result.high_res[1, 5, 5] == pytest.approx(4.0 / (4 + 1e-5), rel=1e-6)
    assert result.high_res[1, 6, 6] == pytest.approx(2.0 / (4 + 1e-5), rel=1e-6)
    assert result.high_res.min() >= 0 and result.high_res.max() <= 1


def test_a_missing_stride4_map_comes_from_the_high_resolution_one(tmp_path: Path):
    high_res = np.full((1, *SIZE), 0.5, np.float32)
    high_res[0, :8, :] = 0.25  # top half lower: the strided map keeps the step
    result = read_external_cam(_irn_file(tmp_path, [3], high_res), "irn_npy", [3], SIZE, False)
    assert result.cam.shape == (1, math.ceil(SIZE[0] / 4), math.ceil(SIZE[1] / 4))
    # a constant region stays constant, normalised by the peak 0.5 (+ 1e-5)
    assert result.cam[0, 0, 0] == pytest.approx(0.25 / (0.5 + 1e-5), rel=1e-5)
    assert result.cam[0, -1, -1] == pytest.approx(0.5 / (0.5 + 1e-5), rel=1e-5)


def test_plain_npy_takes_the_image_keys_in_ascending_order(tmp_path: Path):
    high_res = _unit((2, *SIZE))
    path = external_cam_path(tmp_path, "a", "npy")
    np.save(path, high_res)
    result = read_external_cam(path, "npy", [9, 2], SIZE, False)
    assert result.keys.tolist() == [2, 9] and np.array_equal(result.high_res, high_res)
    assert result.cam.shape == (2, *STRIDED)


def test_the_project_h5_layout_is_read(tmp_path: Path):
    high_res, cam = _unit((1, *SIZE)), _unit((1, *STRIDED), 1)
    path = external_cam_path(tmp_path, "a", "h5")
    write_arrays(path, {"keys": np.array([5]), "cam": cam, "high_res": high_res}, {INPUT_KEY: "x"})
    result = read_external_cam(path, "h5", [5], SIZE, False)
    assert result.keys.tolist() == [5] and np.array_equal(result.high_res, high_res)


def test_keys_from_file_accepts_other_keys(tmp_path: Path):
    high_res = _unit((1, *SIZE))
    result = read_external_cam(_irn_file(tmp_path, [6], high_res), "irn_npy", [1, 4], SIZE, True)
    assert result.keys.tolist() == [6]


@pytest.mark.parametrize(
    ("keys", "maps_shape", "cam_shape", "nan", "image_keys", "message"),
    [
        ([1, 4], (3, *SIZE), None, False, [1, 4], r"3 high-resolution maps for 2 keys \[1, 4\]"),
        ([1, 5], (2, *SIZE), None, False, [1, 4], r"keys \[1, 5\] differ from the image's classes \[1, 4\]"),
        ([1, 4], (2, 16, 21), None, False, [1, 4], r"maps are 16x21, the image is 17x21"),
        ([1, 4], (2, *SIZE), None, True, [1, 4], r"high_res contains NaN or Inf"),
        ([1, 4], (2, *SIZE), (2, 4, 6), False, [1, 4], r"the stride-4 map is \(2, 4, 6\), expected \(2, 5, 6\)"),
        ([1, 1], (2, *SIZE), None, False, [1, 1], r"repeated keys \[1, 1\]"),
    ],
)
def test_bad_files_are_named_with_their_problem(tmp_path, keys, maps_shape, cam_shape, nan, image_keys, message):
    high_res = _unit(maps_shape)
    if nan:
        high_res[0, 3, 3] = np.nan
    cam = None if cam_shape is None else _unit(cam_shape, 1)
    path = _irn_file(tmp_path, keys, high_res, cam, name="2007_000042")
    with pytest.raises(InputError, match=r"2007_000042\.npy: " + message):
        read_external_cam(path, "irn_npy", image_keys, SIZE, False)


def test_wrong_content_and_missing_files_are_named(tmp_path: Path):
    path = external_cam_path(tmp_path, "a", "irn_npy")
    np.save(path, {"high_res": _unit((1, *SIZE))})
    with pytest.raises(InputError, match=r"a\.npy: expected IRNet's dict with 'keys' and 'high_res'"):
        read_external_cam(path, "irn_npy", [1], SIZE, False)
    np.save(path, np.arange(3))
    with pytest.raises(InputError, match=r"a\.npy: expected a float array \(K, H, W\)"):
        read_external_cam(path, "npy", [1], SIZE, False)
    with pytest.raises(InputError, match=r"b\.npy: file does not exist"):
        read_external_cam(tmp_path / "b.npy", "irn_npy", [1], SIZE, False)


def _demo_spec(tmp_path: Path, **external) -> tuple[dict, list[str]]:
    """A 3-image demo dataset and an import spec over ``tmp_path/ext``."""
    ids = write_demo_dataset(tmp_path / "data", 3, seed=1, size=IMAGE_SIZE)
    dataset = {"root": str(tmp_path / "data"), "class_names": list(DEMO_CLASSES), "labels": {"source": "xml"}}
    external = {"dir": str(tmp_path / "ext"), "format": "irn_npy", "keys": "labels", **external}
    infer = {"power": 1.0, "storage": "uint8", "mantissa_bits": 7}
    (tmp_path / "ext").mkdir()
    return {"dataset": dataset, "external": external, "infer": infer}, ids


def _image(spec: dict, image_id: str) -> tuple[list[int], tuple[int, int]]:
    """(classes, working size) of a demo image."""
    dataset = make_dataset(spec["dataset"]["root"], DEMO_CLASSES)
    return list(dataset.image_labels(image_id)), dataset.load_image(image_id).shape[:2]


def _write_image_cams(tmp_path: Path, spec: dict, image_id: str, seed: int = 0) -> np.ndarray:
    keys, size = _image(spec, image_id)
    high_res = _unit((len(keys), *size), seed)
    _irn_file(tmp_path / "ext", keys, high_res, name=image_id)
    return high_res


def test_the_import_step_stores_each_file_and_recomputes_only_a_replaced_one(tmp_path: Path):
    spec, ids = _demo_spec(tmp_path)
    maps = {image_id: _write_image_cams(tmp_path, spec, image_id, seed) for seed, image_id in enumerate(ids)}
    spec["infer"]["power"] = 2.0
    cam_dir, manifest = tmp_path / "cams", tmp_path / "shard.json"
    import_shard(spec, ids, str(cam_dir), str(manifest))
    stored = read_cam(cam_result_path(cam_dir, ids[0]), ("keys", "high_res"))
    # stored as uint8 levels after the power: within half a level of the map squared
    assert np.abs(stored["high_res"] - maps[ids[0]] ** 2).max() <= 0.5 / 255 + 1e-6
    first = json.loads(manifest.read_text())
    _write_image_cams(tmp_path, spec, ids[1], seed=9)
    before = {i: cam_result_path(cam_dir, i).stat().st_mtime_ns for i in ids}
    import_shard(spec, ids, str(cam_dir), str(manifest))
    after = {i: cam_result_path(cam_dir, i).stat().st_mtime_ns for i in ids}
    assert [i for i in ids if before[i] != after[i]] == [ids[1]]
    assert [i for i in ids if first[i] != json.loads(manifest.read_text())[i]] == [ids[1]]


@pytest.mark.parametrize(
    "damage, message",
    [
        ("missing", "no external CAM file"),
        ("wrong K", "high-resolution maps for"),
        ("wrong keys", "differ from the image's classes"),
        ("wrong size", "the image is"),
        ("nan", "NaN or Inf"),
        ("foreign key", "not class indices"),
    ],
)
def test_a_bad_external_file_is_named_and_nothing_is_written_for_it(tmp_path: Path, damage, message):
    spec, ids = _demo_spec(tmp_path, keys="from_file" if damage == "foreign key" else "labels")
    for image_id in ids[:2]:
        _write_image_cams(tmp_path, spec, image_id)
    bad = external_cam_path(tmp_path / "ext", ids[2], "irn_npy")
    keys, size = _image(spec, ids[2])
    if damage == "wrong K":
        _irn_file(tmp_path / "ext", keys, _unit((len(keys) + 1, *size)), name=ids[2])
    elif damage == "wrong keys":
        _irn_file(tmp_path / "ext", [k + 1 for k in keys], _unit((len(keys), *size)), name=ids[2])
    elif damage == "wrong size":
        _irn_file(tmp_path / "ext", keys, _unit((len(keys), size[0] + 1, size[1])), name=ids[2])
    elif damage == "nan":
        maps = _unit((len(keys), *size))
        maps[0, 0, 0] = np.nan
        _irn_file(tmp_path / "ext", keys, maps, name=ids[2])
    elif damage == "foreign key":
        _irn_file(tmp_path / "ext", [len(DEMO_CLASSES)], _unit((1, *size)), name=ids[2])
    cam_dir, manifest = tmp_path / "cams", tmp_path / "shard.json"
    with pytest.raises(InputError, match=message) as error:
        import_shard(spec, ids, str(cam_dir), str(manifest))
    assert str(bad) in str(error.value)
    assert not cam_result_path(cam_dir, ids[2]).exists() and not manifest.exists()
    assert not list(cam_dir.glob("images/*.tmp*"))
