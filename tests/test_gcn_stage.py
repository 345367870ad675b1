"""Per-image GCN training and decoding: determinism, fitting, upsampling, the final dCRF."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from conftest import walk_graph_args

from wsgcn.crf import CrfParams
from wsgcn.errors import NumericalError
from wsgcn.gcn.decode import crf_labels, plain_labels, upsample_log_probs
from wsgcn.gcn.graph import GraphParams, dense_normalised_graph, graph_propagation
from wsgcn.gcn.train import GcnTrainParams, train_gcn
from wsgcn.steps.partial_labels import upsample_nearest

NO_PAIRWISE = CrfParams(
    gaussian_sxy=3, gaussian_compat=0, bilateral_sxy=50, bilateral_srgb=5, bilateral_compat=0, iterations=5
)


def _toy_image(height: int = 6, width: int = 8):
    """Left half background, right half class 3; a third of the nodes labelled."""
    truth = np.zeros((height, width), np.int64)
    truth[:, width // 2 :] = 3
    rng = np.random.default_rng(0)
    features = np.eye(21, 160)[truth.reshape(-1)] * 2 + rng.normal(0, 0.1, (height * width, 160))
    labels = np.full((height, width), 255, np.uint8)
    labels[:, :2] = 0
    labels[:, -2:] = 3
    colours = np.zeros((3, height, width), np.float32)
    colours[0, :, width // 2 :] = 1.0
    return torch.from_numpy(features.astype(np.float32)), labels, torch.from_numpy(colours), truth


def test_gcn_training_is_seeded_and_fits_the_partial_labels():
    features, labels, colours, truth = _toy_image()
    params = GcnTrainParams.defaults(steps=120)
    identity = lambda values: values  # noqa: E731
    first, history = train_gcn(features, labels, colours, identity, params, seed=7, classes=21)
    again, _ = train_gcn(features, labels, colours, identity, params, seed=7, classes=21)
    other, _ = train_gcn(features, labels, colours, identity, params, seed=8, classes=21)
    assert first.shape == (21, 6, 8)
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert np.array_equal(first.argmax(dim=0).numpy(), truth)
    assert history[-1]["loss"] < history[0]["loss"] and history[-1]["step"] == 119
    assert torch.allclose(first.exp().sum(dim=0), torch.ones(6, 8), atol=1e-5)


def test_switched_off_losses_are_not_part_of_the_total():
    features, labels, colours, _ = _toy_image()
    params = GcnTrainParams.defaults(steps=1, entropy_weight=0.0, laplacian_weight=0.0)
    _, (entry,) = train_gcn(features, labels, colours, lambda v: v, params, seed=0, classes=21)
    assert entry["loss"] == pytest.approx(entry["fg"] + entry["bg"], rel=1e-6)


def test_exact_propagation_is_the_dense_published_graph():
    boundary = np.random.default_rng(1).random((5, 6)).astype(np.float32)
    propagate = graph_propagation(boundary, GraphParams.defaults(mode="exact"), 5, 10.0, 8, torch.device("cpu"))
    values = torch.randn(30, 4)
    dense = dense_normalised_graph(torch.from_numpy(boundary.astype(np.float64)), **walk_graph_args()).float()
    assert torch.allclose(propagate(values), dense @ values, atol=1e-6)
    with pytest.raises(ValueError, match=re.escape("gcn.graph.mode")):
        GraphParams.defaults(mode="sparse")


def test_upsampling_is_bilinear_with_aligned_corners():
    log_probs = torch.tensor([[[0.0, 2.0], [4.0, 6.0]]])
    up = upsample_log_probs(log_probs, (3, 5))[0]
    assert up[0, 0] == 0 and up[0, 4] == 2 and up[2, 0] == 4 and up[2, 4] == 6  # corners kept
    assert up[1, 2] == pytest.approx(3.0) and up[0, 1] == pytest.approx(0.5)


def test_crf_sees_only_background_and_the_image_classes():
    log_probs = torch.full((21, 4, 4), -10.0)
    log_probs[5] = -0.01  # an absent class dominates everywhere
    log_probs[0, :, :2] = -1.0
    log_probs[3, :, 2:] = -1.0
    rgb = np.zeros((8, 8, 3), np.uint8)
    plain = plain_labels(log_probs, rgb.shape[:2])
    refined = crf_labels(log_probs, np.array([2]), rgb, NO_PAIRWISE, softmax_quirk=True)
    assert (plain == 5).all()
    assert set(np.unique(refined)) == {0, 3}
    assert (refined[:, :3] == 0).all() and (refined[:, 5:] == 3).all()


def test_partial_labels_round_trip_between_grid_and_image_size():
    grid = np.arange(12, dtype=np.uint8).reshape(3, 4)
    full = upsample_nearest(grid, 4, (10, 15))
    assert full.shape == (10, 15) and full[9, 14] == grid[2, 3] and full[4, 3] == grid[1, 0]
    assert np.array_equal(full[::4, ::4], grid)


def test_an_image_without_foreground_labels_decodes_to_background_after_the_crf():
    log_probs = torch.log_softmax(torch.randn(21, 3, 3), dim=0)
    refined = crf_labels(
        log_probs, np.zeros(0, np.int64), np.zeros((10, 12, 3), np.uint8), NO_PAIRWISE, softmax_quirk=True
    )
    assert refined.shape == (10, 12) and (refined == 0).all()


def test_summary_table_takes_each_methods_miou_row(tmp_path):
    from wsgcn.errors import InputError
    from wsgcn.evaluation.summary import summary_table

    first, second, broken = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    first.write_text("class,iou,gt_pixels,predicted_pixels\nbackground,80.0,5,5\nmIoU,61.25,9,9\n")
    second.write_text("class,iou,gt_pixels,predicted_pixels\nbackground,70.0,5,5\nmIoU,48.5,9,9\n")
    broken.write_text("no table here\n")
    table = summary_table([({"method": "GCN", "dCRF": ""}, first), ({"method": "GCN", "dCRF": "x"}, second)])
    assert table.to_dict("list") == {"method": ["GCN", "GCN"], "dCRF": ["", "x"], "mIoU": [61.25, 48.5]}
    with pytest.raises(InputError, match=re.escape("c.csv")):
        summary_table([({"method": "x"}, broken)])


def test_a_nan_loss_stops_the_gcn_with_a_numerical_error():
    features, labels, colours, _ = _toy_image()
    features[0, 0] = float("nan")
    with pytest.raises(NumericalError, match="GCN loss is nan at step 0"):
        train_gcn(features, labels, colours, lambda v: v, GcnTrainParams.defaults(steps=3), seed=0, classes=21)
