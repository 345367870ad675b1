"""Extreme boundary maps and CAMs: the graphs, the random walk, RW + CRF, the partial labels
and the GCN stay finite and defined (no 0/0, no log 0, no empty-set mean)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import fast_graph_options, published, walk_graph_args

from wsgcn.affinity.random_walk import crf_refined_labels, random_walk_labels
from wsgcn.crf import CrfParams
from wsgcn.gcn.coarse import coarse_graph
from wsgcn.gcn.graph import dense_normalised_graph
from wsgcn.gcn.image import gcn_log_probs
from wsgcn.gcn.partial_labels import PartialLabelParams, partial_labels

FINAL_CRF = CrfParams(
    gaussian_sxy=3, gaussian_compat=3, bilateral_sxy=50, bilateral_srgb=5, bilateral_compat=3, iterations=5
)
PARTIAL_CRF = CrfParams(
    gaussian_sxy=4, gaussian_compat=3, bilateral_sxy=20, bilateral_srgb=3, bilateral_compat=10, iterations=5
)
WALK = {"radius": 5, "beta": 10.0, "exp_times": 8}


def _regions(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Two low-boundary regions (B < 0.2) split by a vertical wall at B = 0.95."""
    boundary = np.random.default_rng(seed).random((height, width)) * 0.2
    if width > 2:
        boundary[:, width // 2] = 0.95
    return boundary.astype(np.float32)


def _extreme_maps() -> dict[str, np.ndarray]:
    """Boundary maps (h, w) at the extremes a confident network and float16 storage give."""
    maps = {"all 0": np.zeros((12, 14), np.float32), "all 1": np.ones((12, 14), np.float32)}
    pixel, row, column, block = (_regions(12, 14) for _ in range(4))
    pixel[5, 3] = 1.0
    row[4, :] = 1.0
    column[:, 3] = 1.0
    block[6:9, 2:5] = 1.0
    maps.update({"saturated pixel": pixel, "saturated row": row, "saturated column": column, "saturated block": block})
    ridge = _regions(12, 14)
    ridge[:, 7] = np.linspace(0.9990, 1.0, 12)
    maps["float16-rounded ridge"] = ridge.astype(np.float16).astype(np.float32)  # >= 0.99976 becomes 1.0
    one_row, one_column = _regions(1, 24), _regions(24, 1)
    one_row[0, 5] = 1.0
    one_column[17, 0] = 1.0
    maps.update({"1-pixel-wide row": one_row, "1-pixel-wide column": one_column})
    return maps


EXTREME = _extreme_maps()


def _exact(boundary: np.ndarray) -> torch.Tensor:
    return dense_normalised_graph(torch.from_numpy(boundary.astype(np.float64)), **walk_graph_args()).float()


def _assert_row_stochastic(matrix: torch.Tensor) -> None:
    assert torch.isfinite(matrix).all()
    assert matrix.min() > -1e-5
    assert torch.allclose(matrix.sum(dim=1), torch.ones(matrix.shape[0]), atol=1e-5)


@pytest.mark.parametrize("saturated", ["pixel", "row", "block"])
def test_fast_graph_of_a_half_random_map_with_saturated_boundaries_is_finite(saturated):
    # the reproduction: B in [0, 0.5) with one pixel, one row or one 3x3 block at exactly 1.0
    rng = np.random.default_rng(7)
    boundary = (rng.random((38, 50)) * 0.5).astype(np.float32)
    {"pixel": boundary[20, 25:26], "row": boundary[17], "block": boundary[10:13, 30:33]}[saturated][...] = 1.0
    graph = coarse_graph(boundary, **fast_graph_options())
    features = torch.from_numpy(rng.random((boundary.size, 160)).astype(np.float32))
    assert torch.isfinite(graph(features)).all()
    _assert_row_stochastic(graph(torch.eye(boundary.size)))


@pytest.mark.parametrize("name", list(EXTREME))
def test_fast_and_exact_graphs_of_extreme_maps_are_row_stochastic_and_agree(name):
    boundary = EXTREME[name]
    exact = _exact(boundary)
    fast = coarse_graph(boundary, **fast_graph_options())(torch.eye(boundary.size))
    _assert_row_stochastic(exact)
    _assert_row_stochastic(fast)
    assert (fast - exact).abs().sum(dim=1).mean() < 0.15  # mean row L1 error, as for ordinary maps
    # a node at B = 1 has no affinity to any other: both graphs keep its value
    isolated = torch.from_numpy(boundary.reshape(-1) == 1.0)
    assert torch.allclose(exact[isolated, isolated], torch.ones(int(isolated.sum())), atol=1e-6)
    assert torch.allclose(fast[isolated, isolated], torch.ones(int(isolated.sum())), atol=1e-5)


@pytest.mark.parametrize("name", list(EXTREME))
def test_random_walk_and_rw_crf_accept_extreme_maps(name):
    boundary = EXTREME[name]
    height, width = boundary.shape
    rng = np.random.default_rng(1)
    cam = rng.random((2, height, width)).astype(np.float32)
    keys = np.array([2, 11])
    labels, scores = random_walk_labels(cam, keys, boundary, (4 * height, 4 * width), **published("random_walk"))
    assert np.isfinite(scores).all() and scores.min() >= 0 and scores.max() <= 1
    assert set(np.unique(labels)) <= {0, 3, 12}
    rgb = rng.integers(0, 256, (4 * height, 4 * width, 3), dtype=np.uint8)
    for softmax_quirk in (True, False):
        for background in (0.0, 0.25):
            refined = crf_refined_labels(rgb, scores, keys, background, FINAL_CRF, softmax_quirk)
            assert set(np.unique(refined)) <= {0, 3, 12}
    if name == "all 1":  # nothing walks, every CAM score is 0: all background
        assert (labels == 0).all()


@pytest.mark.parametrize("name", ["all 1", "saturated block", "1-pixel-wide row"])
@pytest.mark.parametrize("mode", ["fast", "exact"])
def test_gcn_on_extreme_maps_is_finite(name, mode):
    boundary = EXTREME[name]
    height, width = boundary.shape
    rng = np.random.default_rng(2)
    labels = np.full((height, width), 255, np.uint8)
    labels.reshape(-1)[:3] = 0
    labels.reshape(-1)[-3:] = 9
    features = rng.random((160, height, width)).astype(np.float16)
    rgb = rng.integers(0, 256, (4 * height, 4 * width, 3), dtype=np.uint8)
    log_probs, history = gcn_log_probs(
        rgb,
        boundary.astype(np.float16),
        features,
        labels,
        {"graph": published("gcn.graph", mode=mode), "train": published("gcn.train", steps=20)},
        WALK,
        0,
        21,
        torch.device("cpu"),
    )
    assert log_probs.shape == (21, height, width) and torch.isfinite(log_probs).all()
    assert np.isfinite(history[-1]["loss"])


@pytest.mark.parametrize(
    "cam",
    [np.zeros((2, 10, 12), np.float32), np.ones((2, 10, 12), np.float32), np.full((2, 10, 12), 0.1, np.float32)],
    ids=["all 0", "all 1", "all at min_cam"],
)
def test_partial_labels_of_flat_cams_are_defined(cam):
    rgb = np.random.default_rng(3).integers(0, 256, (10, 12, 3), dtype=np.uint8)
    label = partial_labels(rgb, cam, np.array([0, 14]), PartialLabelParams.defaults(), PARTIAL_CRF)
    assert label.shape == (10, 12) and set(np.unique(label)) <= {0, 1, 15, 255}


def test_bgr_quirk_gives_the_crfs_the_channels_reversed():
    rng = np.random.default_rng(4)
    rgb = rng.integers(0, 256, (24, 28, 3), dtype=np.uint8)
    yy, xx = np.mgrid[:24, :28]
    cam = np.stack([np.exp(-((yy - 8) ** 2 + (xx - 9) ** 2) / 30), np.exp(-((yy - 15) ** 2 + (xx - 19) ** 2) / 25)])
    cam = cam.astype(np.float32)
    keys = np.array([3, 6])
    quirk = partial_labels(rgb, cam, keys, PartialLabelParams.defaults(bgr_quirk=True), PARTIAL_CRF)
    plain_of_bgr = partial_labels(
        np.ascontiguousarray(rgb[..., ::-1]), cam, keys, PartialLabelParams.defaults(bgr_quirk=False), PARTIAL_CRF
    )
    assert np.array_equal(quirk, plain_of_bgr)
