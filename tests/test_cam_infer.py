import math

import numpy as np
import pandas as pd
import pytest
import torch

from wsgcn.cam.evaluate import cam_to_label
from wsgcn.cam.files import cam_result_path
from wsgcn.cam.infer import multiscale_cam, normalise_per_class
from wsgcn.data.dataset import dataset_from_config
from wsgcn.data.demo import DEMO_CLASSES, write_demo_dataset
from wsgcn.errors import NumericalError, WsgcnError
from wsgcn.io.h5store import write_arrays
from wsgcn.models.cam_net import CamNet
from wsgcn.steps.cam import infer_shard
from wsgcn.steps.eval_cam import evaluate_stage


def test_normalisation_against_hand_computed_values():
    maps = torch.tensor([[[0.0, 2.0], [4.0, 1.0]], [[0.5, 0.25], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]])
    out = normalise_per_class(maps)
    expected = [
        [[0.0, 2.0 / (4 + 1e-5)], [4.0 / (4 + 1e-5), 1.0 / (4 + 1e-5)]],
        [[0.5 / (0.5 + 1e-5), 0.25 / (0.5 + 1e-5)], [0.0, 0.0]],
        [[0.0, 0.0], [0.0, 0.0]],
    ]
    assert out.numpy() == pytest.approx(np.array(expected), abs=1e-7)
    assert normalise_per_class(torch.zeros((0, 3, 3))).shape == (0, 3, 3)


def test_cam_to_label_thresholds_and_maps_keys():
    high_res = np.array([[[0.9, 0.1], [0.2, 0.0]], [[0.5, 0.6], [0.1, 0.0]]], dtype=np.float16)
    label = cam_to_label(high_res, [4, 11], threshold=0.15)
    # pixel (0,0): 0.9 vs 0.5 -> key 4 -> class 5; (0,1): key 11 -> 12; (1,0): 0.2 > .15 -> 5; (1,1): bg
    assert label.tolist() == [[5, 12], [5, 0]]
    assert cam_to_label(np.zeros((0, 2, 3), np.float16), [], 0.15).tolist() == [[0, 0, 0], [0, 0, 0]]


def _naive_multiscale(model, rgb, keys, scales):
    """Independent reference: loop over scales, plain flip-sum, explicit padding crop."""
    from PIL import Image

    height, width = rgb.shape[:2]
    cam = np.zeros((len(keys), math.ceil(height / 4), math.ceil(width / 4)))
    high = np.zeros((len(keys), 16 * math.ceil(height / 16), 16 * math.ceil(width / 16)))
    for scale in scales:
        size = (round(width * scale), round(height * scale))
        img = rgb if scale == 1.0 else np.asarray(Image.fromarray(rgb).resize(size, Image.BICUBIC))
        x = torch.from_numpy(img.copy()).permute(2, 0, 1)[None]
        with torch.no_grad():
            feats = model.features(torch.cat([x, x.flip(-1)]))
            maps = torch.relu(torch.einsum("nchw,kc->nkhw", feats, model.classifier.weight[keys, :, 0, 0]))
        summed = maps[0] + maps[1].flip(-1)
        cam += torch.nn.functional.interpolate(summed[None], cam.shape[1:], mode="bilinear", align_corners=False)[
            0
        ].numpy()
        high += torch.nn.functional.interpolate(summed[None], high.shape[1:], mode="bilinear", align_corners=False)[
            0
        ].numpy()
    high = high[:, :height, :width]
    cam /= cam.reshape(len(keys), -1).max(1)[:, None, None] + 1e-5
    high /= high.reshape(len(keys), -1).max(1)[:, None, None] + 1e-5
    return cam, high


def test_multiscale_cam_matches_naive_reference():
    torch.manual_seed(0)
    model = CamNet("efficientnet_lite2", 5, weights="none").eval()
    rgb = np.random.default_rng(0).integers(0, 256, (37, 50, 3), dtype=np.uint8)
    cam, high = multiscale_cam(model, rgb, [1, 3], scales=[1.0, 0.5, 1.5], flip=True, power=1.0)
    assert cam.shape == (2, 10, 13) and high.shape == (2, 37, 50)
    ref_cam, ref_high = _naive_multiscale(model, rgb, [1, 3], [1.0, 0.5, 1.5])
    assert cam == pytest.approx(ref_cam, abs=1e-4)
    assert high == pytest.approx(ref_high, abs=1e-4)
    assert cam.max() <= 1.0 and cam.min() >= 0.0
    sharp_cam, sharp_high = multiscale_cam(model, rgb, [1, 3], scales=[1.0, 0.5, 1.5], flip=True, power=1.7)
    assert sharp_cam == pytest.approx(ref_cam**1.7, abs=1e-4)
    assert sharp_high == pytest.approx(ref_high**1.7, abs=1e-4)
    empty_cam, empty_high = multiscale_cam(model, rgb, [], scales=[1.0], flip=True, power=1.0)
    assert empty_cam.shape == (0, 10, 13) and empty_high.shape == (0, 37, 50)


def test_a_model_giving_nan_stops_the_shard_at_the_image_and_writes_no_cam(tmp_path):
    ids = write_demo_dataset(tmp_path / "voc", 3, seed=4, size=(64, 80))
    model = CamNet("efficientnet_lite2", len(DEMO_CLASSES), "none")
    state = model.state_dict()
    state["classifier.weight"][:] = float("nan")
    torch.save(state, tmp_path / "model.pt")
    spec = {
        "dataset": {"name": "t", "kind": "voc", "root": str(tmp_path / "voc"), "class_names": list(DEMO_CLASSES)},
        "backbone": {"name": "efficientnet_lite2", "weights": "none"},
        "infer": {"scales": [1.0], "flip": False, "power": 1.0, "mantissa_bits": 7},
    }
    with pytest.raises(NumericalError, match=rf"^{ids[0]}: CAM contains NaN or Inf; the model in .*model.pt is broken"):
        infer_shard(
            spec, ids, str(tmp_path / "model.pt"), str(tmp_path / "cam"), str(tmp_path / "manifest.json"), "cpu"
        )
    assert not cam_result_path(tmp_path / "cam", ids[0]).exists() and not (tmp_path / "manifest.json").exists()
    assert isinstance(NumericalError("x"), WsgcnError)  # the command line prints it as one line, exit 1


def _naive_miou(predictions: list[np.ndarray], truths: list[np.ndarray], num_classes: int) -> float:
    """mIoU (%) by counting pixels one at a time; GT 255 ignored, classes absent from both skipped."""
    hits, predicted, actual = [0] * num_classes, [0] * num_classes, [0] * num_classes
    for prediction, truth in zip(predictions, truths, strict=False):
        for p, t in zip(prediction.ravel().tolist(), truth.ravel().tolist(), strict=False):
            if t == 255:
                continue
            predicted[p] += 1
            actual[t] += 1
            hits[p] += p == t
    ious = [hits[c] / (predicted[c] + actual[c] - hits[c]) for c in range(num_classes) if predicted[c] + actual[c]]
    return 100.0 * sum(ious) / len(ious)


def test_evaluation_reports_the_configured_threshold_and_the_sweep(tmp_path):
    ids = write_demo_dataset(tmp_path / "voc", 3, seed=5, size=(40, 48))  # images of about that size
    dataset_config = {"name": "t", "kind": "voc", "root": str(tmp_path / "voc"), "class_names": list(DEMO_CLASSES)}
    dataset = dataset_from_config(dataset_config)
    rng = np.random.default_rng(0)
    cams = {}
    for image_id in ids:
        keys = dataset.image_labels(image_id)
        cams[image_id] = (keys, rng.random((len(keys), *dataset.load_mask(image_id).shape)).astype(np.float16))
        write_arrays(
            cam_result_path(tmp_path / "cam", image_id),
            {"keys": np.asarray(keys, np.int16), "high_res": cams[image_id][1]},
            {"image_id": image_id},
        )
    out = tmp_path / "eval"
    miou = evaluate_stage(
        {"dataset": dataset_config},
        ids,
        str(tmp_path / "cam"),
        0.3,
        [0.1, 0.3, 0.7],
        out / "cam.csv",
        out / "cam.md",
        out / "sweep.csv",
        out / "sweep.md",
        out / "summary.json",
    )

    num_classes = len(DEMO_CLASSES) + 1
    truths = [dataset.load_mask(image_id) for image_id in ids]
    expected = {}
    for threshold in (0.1, 0.3, 0.7):
        predictions = []
        for image_id in ids:  # background wins ties at exactly the threshold: argmax takes the first plane
            keys, high_res = cams[image_id]
            planes = [np.full(high_res.shape[1:], threshold, np.float32), *high_res.astype(np.float32)]
            best = np.zeros(high_res.shape[1:], np.int64)
            for index in range(1, len(planes)):
                best = np.where(planes[index] > np.choose(best, planes), index, best)
            predictions.append(np.array([0, *(k + 1 for k in keys)])[best])
        expected[threshold] = _naive_miou(predictions, truths, num_classes)
    sweep = pd.read_csv(out / "sweep.csv")
    assert sweep["threshold"].tolist() == [0.1, 0.3, 0.7]
    assert sweep["miou"].tolist() == pytest.approx([expected[t] for t in (0.1, 0.3, 0.7)], abs=1e-3)
    assert miou == pytest.approx(expected[0.3], abs=1e-9) and len(set(expected.values())) == 3
    table = pd.read_csv(out / "cam.csv")
    assert table["iou"].iloc[-1] == pytest.approx(expected[0.3], abs=1e-3)
    assert (out / "sweep.md").read_text().startswith("# CAM mIoU by background threshold (3 images)")
