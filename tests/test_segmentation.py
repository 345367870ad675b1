"""Stage II: DeepLabv2 shapes and parameters, loss, augmentation, training set, training resume, inference."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import make_dataset, published
from PIL import Image

import wsgcn.training as training_module
from wsgcn.checkpoint import load_checkpoint
from wsgcn.data.demo import write_demo_dataset
from wsgcn.data.images import load_rgb
from wsgcn.errors import ConfigError, InputError
from wsgcn.io.label_png import read_label_png, stored_png_key, write_label_png
from wsgcn.optim import set_poly_lr
from wsgcn.segmentation.augment import scale_crop_flip
from wsgcn.segmentation.deeplab import ASPP, DeepLabV2
from wsgcn.segmentation.train import DeepLabParams, SegTrainParams, segmentation_loss, train_segmenter
from wsgcn.segmentation.training_set import build_manifest, holdout_split, label_statistics
from wsgcn.steps.seg_crf import seg_crf_shard
from wsgcn.steps.seg_data import training_set_stage
from wsgcn.steps.segment import infer_shard

CLASSES = ("disk", "square", "triangle", "cross")


def test_aspp_is_the_sum_of_four_dilated_convolutions():
    torch.manual_seed(0)
    aspp = ASPP(8, 5, (1, 2, 3, 4))
    for branch in aspp.branches:
        torch.nn.init.normal_(branch.bias)
    x = torch.randn(2, 8, 11, 13)
    expected = sum(
        F.conv2d(x, b.weight, b.bias, padding=r, dilation=r) for b, r in zip(aspp.branches, (1, 2, 3, 4), strict=False)
    )
    assert torch.allclose(aspp(x), expected, atol=1e-6)
    fresh = ASPP(8, 5, (6, 12))
    with torch.no_grad():
        assert all(float(b.bias.abs().max()) == 0 for b in fresh.branches)
        assert 0.005 < float(torch.cat([b.weight.flatten() for b in fresh.branches]).std()) < 0.02


def test_resnet101_output_stride_8_with_dilations_2_and_4():
    model = DeepLabV2("resnet101", 21, weights="none", output_stride=8, rates=(6, 12, 18, 24), msc_scales=()).eval()
    with torch.no_grad():
        logits = model(torch.zeros(1, 3, 65, 97))
    assert logits.shape == (1, 21, math.ceil(65 / 8), math.ceil(97 / 8))
    for layer, dilation in ((model.backbone.layer3, 2), (model.backbone.layer4, 4)):
        assert layer[0].conv2.stride == (1, 1) and layer[0].conv2.dilation == (1, 1)
        assert layer[0].downsample[0].stride == (1, 1)
        assert all(block.conv2.dilation == (dilation, dilation) for block in layer[1:])
    assert [len(model.backbone.layer3), len(model.backbone.layer4)] == [23, 3]


def test_lite2_output_stride_16_and_unsupported_stride():
    model = DeepLabV2("efficientnet_lite2", 5, weights="none", output_stride=16, rates=(3, 6), msc_scales=()).eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 70, 90)).shape == (1, 5, math.ceil(70 / 16), math.ceil(90 / 16))
    with pytest.raises(ConfigError, match="output strides"):
        DeepLabV2("efficientnet_lite2", 5, weights="none", output_stride=8, rates=(3, 6), msc_scales=())


def test_msc_returns_every_scale_in_training_and_their_max_in_evaluation():
    torch.manual_seed(0)
    model = DeepLabV2("efficientnet_lite2", 5, weights="none", output_stride=16, rates=(3,), msc_scales=(0.5, 0.75))
    images = torch.rand(2, 3, 64, 80) * 255
    model.train()
    outputs = model(images)
    assert [o.shape[-2:] for o in outputs] == [(4, 5), (2, 3), (3, 4), (4, 5)]
    model.eval()
    with torch.no_grad():
        fused = model(images)
        x = (images / 255 - model.mean) / model.std
        full = model.single_scale(x)
        scaled = [
            F.interpolate(
                model.single_scale(F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)),
                size=full.shape[-2:],
                mode="bilinear",
                align_corners=False,
            )
            for s in (0.5, 0.75)
        ]
    assert torch.allclose(fused, torch.maximum(full, torch.maximum(*scaled)))


def test_only_backbone_conv_weights_and_aspp_are_trained():
    model = DeepLabV2("resnet101", 21, weights="none", output_stride=8, rates=(6, 12, 18, 24), msc_scales=())
    backbone, aspp_weights, aspp_biases = model.parameter_groups()
    convs = [m for name, m in model.backbone.named_modules() if isinstance(m, torch.nn.Conv2d) and name != "conv1"]
    assert len(backbone) == len(convs) and len(aspp_weights) == len(aspp_biases) == 4
    assert not model.backbone.conv1.weight.requires_grad and not model.backbone.bn1.weight.requires_grad
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    assert trainable == {id(p) for p in (*backbone, *aspp_weights, *aspp_biases)}


def test_loss_sums_cross_entropy_over_outputs_against_nearest_resized_labels():
    torch.manual_seed(0)
    labels = torch.tensor([[[0, 0, 1, 1], [0, 255, 1, 2], [255, 255, 2, 2], [3, 3, 3, 3]]])
    small, full = torch.randn(1, 4, 2, 2), torch.randn(1, 4, 4, 4)
    small_target = labels[:, ::2, ::2]  # nearest down-sampling by 2 keeps the top-left pixels
    expected = F.cross_entropy(small, small_target, ignore_index=255) + F.cross_entropy(full, labels, ignore_index=255)
    assert torch.allclose(segmentation_loss([small, full], labels), expected)
    assert float(segmentation_loss([full], torch.full_like(labels, 255))) == 0.0


def test_scale_crop_flip_pads_with_ignore_and_is_deterministic():
    rng_values = []
    rgb = np.full((20, 30, 3), 7, np.uint8)
    labels = np.ones((20, 30), np.uint8)
    for _ in range(2):
        image, target = scale_crop_flip(rgb, labels, [1.0], 40, (100, 100, 100), np.random.default_rng(3))
        rng_values.append((image.copy(), target.copy()))
    image, target = rng_values[0]
    assert image.shape == (40, 40, 3) and target.shape == (40, 40)
    assert np.array_equal(image, rng_values[1][0]) and np.array_equal(target, rng_values[1][1])
    assert (target == 1).sum() == 20 * 30 and set(np.unique(target)) == {1, 255}
    assert np.all(image[target == 255] == 100) and np.all(image[target == 1] == 7)
    _, half_target = scale_crop_flip(rgb, labels, [0.5], 8, (0, 0, 0), np.random.default_rng(0))
    assert half_target.shape == (8, 8) and np.all(half_target == 1)


def test_holdout_split_is_seeded_disjoint_and_order_preserving():
    ids = [f"img{i:03d}" for i in range(50)]
    train, held = holdout_split(ids, 10, seed=0)
    assert len(held) == 10 and len(train) == 40 and not set(train) & set(held)
    assert train == [i for i in ids if i in set(train)] and held == [i for i in ids if i in set(held)]
    assert holdout_split(list(reversed(ids)), 10, seed=0)[1] == list(reversed(held))
    assert holdout_split(ids, 10, seed=1)[1] != held
    with pytest.raises(ValueError):
        holdout_split(ids, 50, seed=0)


def test_training_set_manifest_and_hand_computed_statistics(tmp_path: Path):
    first = np.array([[0, 0, 1, 255]], np.uint8)
    second = np.array([[4, 4, 0, 0]], np.uint8)
    write_label_png(tmp_path / "a.png", first, "key-a")
    write_label_png(tmp_path / "b.png", second, "key-b")
    manifest = build_manifest(["a", "b"], "gcn_crf", lambda i: tmp_path / f"{i}.png")
    assert manifest["images"]["a"] == {"labels": str(tmp_path / "a.png"), "key": "key-a"}
    stats = label_statistics(manifest, CLASSES).set_index("class")
    # 8 pixels: background 4, disk 1, cross 2, ignored 1
    assert stats.loc["background", "pixel_share"] == pytest.approx(50.0)
    assert stats.loc["cross", "pixel_share"] == pytest.approx(25.0)
    assert stats.loc["ignored (255)", "pixel_share"] == pytest.approx(12.5)
    assert (
        stats.loc["background", "images"] == 2
        and stats.loc["disk", "images"] == 1
        and stats.loc["square", "images"] == 0
    )
    with pytest.raises(InputError, match="does not exist"):
        build_manifest(["missing"], "rw", lambda i: tmp_path / f"{i}.png")
    write_label_png(tmp_path / "bad.png", np.array([[9]], np.uint8), "k")
    with pytest.raises(InputError, match="outside"):
        label_statistics(build_manifest(["bad"], "rw", lambda i: tmp_path / f"{i}.png"), CLASSES)


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("seg") / "data"
    ids = write_demo_dataset(root, 6, seed=3, size=(48, 64))
    dataset = make_dataset(root, CLASSES)
    return dataset, ids


MODEL = DeepLabParams.defaults(backbone="efficientnet_lite2", weights="none", output_stride=16, aspp_rates=(2, 4))
TRAIN = SegTrainParams.defaults(
    iterations=6, batch_size=2, lr=0.01, crop_size=48, poly_every=2, freeze_bn=True, checkpoint_every=2
)


def _train(dataset, ids, folder: Path, run_key: str = "k"):
    folder.mkdir(parents=True, exist_ok=True)
    train_segmenter(
        dataset.load_image,
        {i: dataset.mask_path(i) for i in ids},
        5,
        MODEL,
        TRAIN,
        folder / "model.pt",
        folder / "ckpt.pt",
        folder / "history.csv",
        run_key,
        torch.device("cpu"),
    )
    return torch.load(folder / "model.pt", weights_only=True), (folder / "history.csv").read_text()


def test_segmenter_resume_after_a_crash_gives_the_uninterrupted_result(demo_data, tmp_path, monkeypatch):
    dataset, ids = demo_data
    reference, reference_history = _train(dataset, ids, tmp_path / "straight")
    assert reference_history.count("\n") == 1 + 6
    factors = [float(line.split(",")[2]) for line in reference_history.splitlines()[1:]]
    assert factors[0] == factors[1] and factors[2] == factors[3] and factors[1] > factors[2]  # poly every 2 steps

    def crash_at_step_three(optimizer, step, max_step, power):
        if step == 2 and load_checkpoint(tmp_path / "crashed" / "ckpt.pt")["step"] == 2:
            raise KeyboardInterrupt("simulated kill")
        return set_poly_lr(optimizer, step, max_step, power)

    monkeypatch.setattr(training_module, "set_poly_lr", crash_at_step_three)
    with pytest.raises(KeyboardInterrupt):
        _train(dataset, ids, tmp_path / "crashed")
    assert not (tmp_path / "crashed" / "model.pt").exists()
    monkeypatch.setattr(training_module, "set_poly_lr", set_poly_lr)
    resumed, resumed_history = _train(dataset, ids, tmp_path / "crashed")
    assert resumed_history == reference_history
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)
    assert load_checkpoint(tmp_path / "crashed" / "ckpt.pt")["step"] == 6  # a rerun with this key trains nothing


def test_training_set_and_inference_stages_write_keyed_labels_and_reuse_them(demo_data, tmp_path, caplog):
    dataset, ids = demo_data
    spec = {
        "dataset": {"name": "t", "kind": "voc", "root": str(dataset.root), "class_names": list(CLASSES)},
        "segmentation": {
            "model": published(
                "segmentation.model",
                backbone="efficientnet_lite2",
                weights="none",
                output_stride=16,
                aspp_rates=[2],
                msc_scales=[],
                input_mean=None,
                input_std=None,
            ),
            "train": {},
            "crf": {
                "gaussian_sxy": 1,
                "gaussian_compat": 3,
                "bilateral_sxy": 67,
                "bilateral_srgb": 3,
                "bilateral_compat": 4,
                "iterations": 2,
            },
        },
    }
    labels = {"source": "ground_truth", "dir": ""}
    outputs = (str(tmp_path / "set.json"), str(tmp_path / "s.csv"), str(tmp_path / "s.md"))
    training_set_stage({**spec, "labels": labels}, ids[:4], *outputs)
    manifest = json.loads((tmp_path / "set.json").read_text())
    assert manifest["source"] == "ground_truth" and sorted(manifest["images"]) == sorted(ids[:4])
    torch.manual_seed(0)
    model = DeepLabParams.from_config(spec["segmentation"]["model"]).build(5)
    torch.save(model.state_dict(), tmp_path / "model.pt")
    args = (spec, ids[4:], str(tmp_path / "model.pt"), str(tmp_path / "seg"), str(tmp_path / "seg.json"), "cpu")
    crf_args = (spec, ids[4:], str(tmp_path / "seg"), str(tmp_path / "crf"), str(tmp_path / "crf.json"))
    infer_shard(*args)
    seg_crf_shard(*crf_args)
    for folder in ("seg", "crf"):
        for image_id in ids[4:]:
            path = tmp_path / folder / "images" / f"{image_id}.png"
            labels = read_label_png(path)
            assert (
                labels.shape == load_rgb(dataset.image_path(image_id)).shape[:2]
                and labels.max() < 5
                and stored_png_key(path)
            )
    with caplog.at_level("INFO"):
        infer_shard(*args)
        seg_crf_shard(*crf_args)
    assert caplog.text.count("shard done: 0 computed, 2 reused") == 2


@pytest.mark.parametrize(
    "damage, message",
    [
        ("missing", "does not exist"),
        ("wrong size", "the label map is"),
        ("out of range", "label values outside 0..4 and 255"),
        ("rgb", "must be palette or grayscale"),
    ],
)
def test_external_labels_are_checked_and_a_bad_file_is_named(demo_data, tmp_path, damage, message):
    dataset, ids = demo_data
    folder = tmp_path / "external"
    folder.mkdir()
    for image_id in ids[:3]:
        Image.fromarray(read_label_png(dataset.mask_path(image_id))).save(folder / f"{image_id}.png")  # grey
    spec = {"dataset": {"name": "t", "kind": "voc", "root": str(dataset.root), "class_names": list(CLASSES)}}
    outputs = [str(tmp_path / name) for name in ("set.json", "s.csv", "s.md")]
    spec["labels"] = {"source": "external", "dir": str(folder)}
    training_set_stage(spec, ids[:3], *outputs)
    manifest = json.loads((tmp_path / "set.json").read_text())
    assert manifest["source"] == "external" and sorted(manifest["images"]) == sorted(ids[:3])
    for name in outputs:
        Path(name).unlink()
    bad = folder / f"{ids[1]}.png"
    labels = read_label_png(bad)
    if damage == "missing":
        bad.unlink()
    elif damage == "wrong size":
        Image.fromarray(labels[:-1]).save(bad)
    elif damage == "out of range":
        labels[0, 0] = 5
        Image.fromarray(labels).save(bad)
    else:
        Image.fromarray(np.stack([labels] * 3, axis=-1)).save(bad)
    with pytest.raises(InputError, match=message) as error:
        training_set_stage(spec, ids[:3], *outputs)
    assert str(bad) in str(error.value)
    assert not any(Path(name).exists() for name in outputs)
