"""IRNet: pair labels, loss, boundary/feature inference, IR labels, training resume."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_dataset

import wsgcn.training as training_module
from wsgcn.affinity.boundary import boundary_and_features
from wsgcn.affinity.ir_labels import ir_label
from wsgcn.affinity.paths import path_directions
from wsgcn.affinity.train import IrnTrainParams, irn_loss, pair_labels, train_irn
from wsgcn.checkpoint import load_checkpoint
from wsgcn.config_schema import config_section
from wsgcn.crf import CrfParams
from wsgcn.data.dataset import Dataset
from wsgcn.data.demo import DEMO_CLASSES, write_demo_dataset
from wsgcn.data.images import load_mask
from wsgcn.errors import ConfigError
from wsgcn.io.label_png import read_label_png, stored_png_key, write_label_png
from wsgcn.models.irnet import IRNet
from wsgcn.optim import set_poly_lr

IR_CRF = CrfParams(
    gaussian_sxy=3, gaussian_compat=3, bilateral_sxy=50, bilateral_srgb=5, bilateral_compat=10, iterations=10
)


def test_pair_labels_on_a_hand_built_map():
    labels = torch.zeros((1, 6, 8), dtype=torch.long)
    labels[0, :, 4:] = 3
    labels[0, 5, :] = 255
    bg_pos, fg_pos, negative = pair_labels(labels, 2)  # margin 1: sources rows 0..4, columns 1..6
    directions = path_directions(2)  # (0, 1), (1, -1), (1, 0), (1, 1)
    right = directions.index((0, 1))
    # source (0, 1) -> (0, 2): both background
    assert bg_pos[0, right, 0, 0] == 1 and fg_pos[0, right, 0, 0] == 0 and negative[0, right, 0, 0] == 0
    # source (0, 3) -> (0, 4): background vs class 3 is negative
    assert negative[0, right, 0, 2] == 1 and bg_pos[0, right, 0, 2] == 0
    # source (0, 5) -> (0, 6): same class
    assert fg_pos[0, right, 0, 4] == 1
    down = directions.index((1, 0))
    # source (4, 1) -> (5, 1) touches the 255 row: no label at all
    assert bg_pos[0, down, 4, 0] == fg_pos[0, down, 4, 0] == negative[0, down, 4, 0] == 0
    assert float(bg_pos.sum() + fg_pos.sum() + negative.sum()) > 0


def test_loss_prefers_boundaries_between_classes():
    labels = torch.zeros((1, 24, 24), dtype=torch.long)
    labels[0, :, 12:] = 5
    displacement = torch.zeros((1, 2, 24, 24))
    on_edge = torch.full((1, 1, 24, 24), -6.0)
    on_edge[..., 11:13] = 6.0
    no_edge = torch.full((1, 1, 24, 24), -6.0)
    good, parts = irn_loss(on_edge, displacement, labels, 5)
    bad, _ = irn_loss(no_edge, displacement, labels, 5)
    assert torch.isfinite(good) and good < bad
    assert set(parts) == {"pos_bg", "pos_fg", "neg", "dp_fg", "dp_bg"}


def test_displacement_loss_on_a_pair_worked_by_hand():
    # radius 2 on a 2 x 4 grid: sources (0, 1) and (0, 2); directions (0, 1), (1, -1), (1, 0), (1, 1)
    labels = torch.tensor([[[255, 1, 0, 0], [255, 1, 255, 255]]])
    # (0, 1) -> (1, 1), delta (1, 0): the one fg pair; (0, 2) -> (0, 3): the one bg pair;
    # (0, 1) -> (0, 2) and (0, 2) -> (1, 1) are negative, the rest touch 255
    displacement = torch.zeros((1, 2, 2, 4))  # channels (y, x)
    displacement[0, :, 0, 1] = torch.tensor([0.5, -1.0])
    displacement[0, :, 1, 1] = torch.tensor([-2.0, 0.25])
    displacement[0, :, 0, 2] = torch.tensor([1.0, 2.0])
    displacement[0, :, 0, 3] = torch.tensor([0.25, 3.0])
    edge_logits = torch.zeros((1, 1, 2, 4))  # B = 0.5, affinity 0.5 on every path
    total, parts = irn_loss(edge_logits, displacement, labels, 2)
    # fg: |D(src) - D(dst) - delta| = |(0.5 + 2 - 1, -1 - 0.25 - 0)| = 1.5 + 1.25, over 2 channels
    assert parts["dp_fg"] == pytest.approx(2.75 / 2, rel=1e-4)
    # bg: |D(src) - D(dst)| = |(1 - 0.25, 2 - 3)| = 0.75 + 1, over 2 channels
    assert parts["dp_bg"] == pytest.approx(1.75 / 2, rel=1e-4)
    log_half = -math.log(0.5 + 1e-5)
    assert [parts["pos_fg"], parts["pos_bg"], parts["neg"]] == pytest.approx([log_half] * 3, rel=1e-4)
    assert float(total) == pytest.approx((log_half / 2 + log_half / 2 + log_half) / 2 + (2.75 + 1.75) / 4, rel=1e-4)


@pytest.mark.parametrize(("taps", "edge_kernel"), [("block_outputs", 1), ("expansions", 1), ("block_outputs", 3)])
def test_node_features_sum_to_the_boundary_logit(taps, edge_kernel):
    torch.manual_seed(0)
    model = IRNet("efficientnet_lite2", "none", taps=taps, edge_kernel=edge_kernel).eval()
    rgb = (np.random.default_rng(0).random((50, 70, 3)) * 255).astype(np.uint8)
    boundary, features = boundary_and_features(model, rgb, 64)
    assert boundary.shape == (13, 18) and features.shape == (160, 13, 18)
    logit = features.sum(axis=0) + model.fc_edge6.bias.item()
    np.testing.assert_allclose(1 / (1 + np.exp(-logit)), boundary, atol=1e-5)


@pytest.mark.parametrize("edge_kernel", [1, 3])
def test_edge_kernel_is_the_edge_branchs_window_on_each_tap(edge_kernel):
    torch.manual_seed(0)
    model = IRNet("efficientnet_lite2", "none", taps="block_outputs", edge_kernel=edge_kernel)
    reach = edge_kernel // 2
    window = torch.zeros(17, 17, dtype=torch.bool)
    window[8 - reach : 9 + reach, 8 - reach : 9 + reach] = True
    for unit in model.edge_layers:
        conv = unit[0]  # before GroupNorm, whose statistics spread any change over the map
        impulse = torch.zeros(1, conv.in_channels, 17, 17)
        impulse[0, :, 8, 8] = 1.0
        with torch.no_grad():
            reached = conv(impulse)[0].abs().amax(0)
        assert reached.shape == (17, 17)  # same padding
        assert (reached[~window] == 0).all() and (reached[window] > 0).all()


def test_edge_kernel_outside_1_and_3_is_a_config_error():
    with pytest.raises(ConfigError, match=re.escape("irn.model.edge_kernel")):
        IRNet("efficientnet_lite2", "none", taps="block_outputs", edge_kernel=5)


def test_backbone_is_frozen_unless_fine_tuned_and_only_the_edge_loss_tunes_it():
    rgb = torch.rand(1, 3, 64, 64) * 255
    frozen = IRNet("efficientnet_lite2", "none", taps="block_outputs", edge_kernel=1).train()
    edge, displacement = frozen(rgb)
    (edge.sum() + displacement.sum()).backward()
    assert frozen.backbone_parameters() == []
    assert all(p.grad is None for p in frozen.backbone.parameters())

    tuned = IRNet("efficientnet_lite2", "none", taps="block_outputs", edge_kernel=1, trainable_from=4).train()
    later_stages = {id(p) for m in tuned.backbone.stage_modules(4) for p in m.parameters()}
    assert {id(p) for p in tuned.backbone_parameters()} == later_stages
    edge, displacement = tuned(rgb)
    displacement.sum().backward()
    assert all(p.grad is None for p in tuned.backbone.parameters())
    edge.sum().backward()
    assert all(p.grad is not None for p in tuned.backbone_parameters())
    assert all(p.grad is None for p in tuned.backbone.parameters() if id(p) not in later_stages)
    assert not tuned.backbone.training  # BatchNorm statistics stay fixed


def test_ir_label_combines_confident_regions():
    rgb = np.zeros((40, 40, 3), np.uint8)
    rgb[10:30, 10:30] = (0, 200, 0)  # a green ring ...
    rgb[15:25, 15:25] = (220, 0, 0)  # ... around a red square
    cam = np.zeros((1, 40, 40), np.float32)
    cam[0, 10:30, 10:30] = 0.1  # weak evidence on the ring
    cam[0, 15:25, 15:25] = 0.9  # strong on the square
    label = ir_label(rgb, cam, np.array([6]), 0.30, 0.05, 0.7, IR_CRF)
    assert label.dtype == np.uint8
    assert (label[16:24, 16:24] == 7).all()  # confident foreground: class 6 + 1
    assert (label[11:14, 11:29] == 255).all()  # foreground only at the low threshold: uncertain
    assert (label[:8] == 0).all()  # background at both thresholds
    assert set(np.unique(label)) == {0, 7, 255}


def test_ir_label_of_an_image_without_keys_is_background():
    label = ir_label(
        np.zeros((8, 9, 3), np.uint8), np.zeros((0, 8, 9), np.float32), np.zeros(0, int), 0.3, 0.05, 0.7, IR_CRF
    )
    assert label.shape == (8, 9) and not label.any()


def test_crop_too_small_for_the_radius_is_a_config_error():
    with pytest.raises(ConfigError, match=re.escape("irn.train.crop_size")):
        IrnTrainParams.defaults(crop_size=64, radius=10)
    assert IrnTrainParams.defaults(crop_size=96, radius=10).scale_range == (0.5, 1.5)


def test_label_png_round_trip_keeps_the_key(tmp_path):
    labels = np.array([[0, 1, 255], [20, 3, 0]], np.uint8)
    write_label_png(tmp_path / "a.png", labels, "abc123")
    np.testing.assert_array_equal(read_label_png(tmp_path / "a.png"), labels)
    assert stored_png_key(tmp_path / "a.png") == "abc123"
    assert stored_png_key(tmp_path / "missing.png") is None


PARAMS = IrnTrainParams.defaults(epochs=2, batch_size=4, crop_size=64, radius=5, checkpoint_every=2, seed=1)


@pytest.fixture(scope="module")
def ir_dataset(tmp_path_factory) -> tuple[Dataset, list[str], Path]:
    root = tmp_path_factory.mktemp("demo")
    ids = write_demo_dataset(root, 12, seed=2, size=(56, 72))
    dataset = make_dataset(root, DEMO_CLASSES)
    labels = root / "ir"
    for image_id in ids:  # ground truth as IR labels: enough to train on
        write_label_png(labels / f"{image_id}.png", load_mask(dataset.mask_path(image_id), 5), "k")
    return dataset, ids, labels


def _train(dataset, ids, labels: Path, folder: Path):
    train_irn(
        dataset,
        ids,
        lambda i: labels / f"{i}.png",
        PARAMS,
        "efficientnet_lite2",
        "none",
        config_section("irn.model"),
        folder / "model.pt",
        folder / "ckpt.pt",
        folder / "history.csv",
        "k",
        torch.device("cpu"),
    )
    return torch.load(folder / "model.pt", weights_only=True), (folder / "history.csv").read_text()


def test_irnet_resume_after_a_crash_gives_the_uninterrupted_result(ir_dataset, tmp_path, monkeypatch):
    dataset, ids, labels = ir_dataset
    reference, reference_history = _train(dataset, ids, labels, tmp_path / "straight")
    assert reference_history.count("\n") == 1 + 6

    def crash_at_step_three(optimizer, step, max_step, power):
        if step == 3:
            raise KeyboardInterrupt("simulated kill")
        return set_poly_lr(optimizer, step, max_step, power)

    folder = tmp_path / "crashed"
    monkeypatch.setattr(training_module, "set_poly_lr", crash_at_step_three)
    with pytest.raises(KeyboardInterrupt):
        _train(dataset, ids, labels, folder)
    assert load_checkpoint(folder / "ckpt.pt")["step"] == 3 and not (folder / "model.pt").exists()
    monkeypatch.setattr(training_module, "set_poly_lr", set_poly_lr)
    resumed, resumed_history = _train(dataset, ids, labels, folder)
    assert resumed_history == reference_history
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)
