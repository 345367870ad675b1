"""GCN core: the Laplacian stencil against the dense definition, the loss, the model."""

from __future__ import annotations

import math

import numpy as np
import torch
from conftest import walk_graph_args

from wsgcn.crf import CrfParams
from wsgcn.gcn.laplacian import laplacian_matrix, laplacian_quadratic, stencil_pairs
from wsgcn.gcn.loss import LossTargets, LossWeights, gcn_loss
from wsgcn.gcn.model import GCN, inverted_dropout
from wsgcn.gcn.partial_labels import PartialLabelParams, partial_labels


def _dense_laplacian(colours: np.ndarray, radius: int = 2) -> np.ndarray:
    """The published definition: dense Phi over the (2r+1)^2 window, L = D - Phi."""
    _, h, w = colours.shape
    n = h * w
    phi = np.zeros((n, n))
    for i in range(n):
        yi, xi = divmod(i, w)
        for j in range(n):
            yj, xj = divmod(j, w)
            if abs(yi - yj) <= radius and abs(xi - xj) <= radius:
                dc = ((colours[:, yi, xi] - colours[:, yj, xj]) ** 2).sum()
                phi[i, j] = math.exp(-dc / 12 - ((yi - yj) ** 2 + (xi - xj) ** 2) / 20)
    return np.diag(phi.sum(axis=1)) - phi


def test_stencil_trace_equals_the_dense_laplacian():
    rng = np.random.default_rng(0)
    colours = rng.random((3, 7, 9))
    q = rng.normal(size=(21, 7 * 9))
    dense = np.trace(q @ _dense_laplacian(colours) @ q.T)
    pairs = stencil_pairs(torch.from_numpy(colours), 2, 12.0, 20.0)
    window = [
        (i, j) for i in range(63) for j in range(i + 1, 63) if abs(i // 9 - j // 9) <= 2 and abs(i % 9 - j % 9) <= 2
    ]
    assert sorted(zip(pairs.sources.tolist(), pairs.targets.tolist(), strict=False)) == sorted(window)  # each pair once
    values = torch.from_numpy(q.T).requires_grad_()
    stencil = laplacian_quadratic(values, laplacian_matrix(pairs, 63))
    assert math.isclose(stencil.item(), dense, rel_tol=1e-10)
    stencil.backward()
    naive = torch.from_numpy(q.T).requires_grad_()
    (pairs.weights * ((naive[pairs.sources] - naive[pairs.targets]) ** 2).sum(dim=1)).sum().backward()
    torch.testing.assert_close(values.grad, naive.grad)  # the custom backward, 2 L Q


def test_loss_parts_by_hand():
    log_probs = torch.log(torch.tensor([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [1 / 3, 1 / 3, 1 / 3]]))
    labels = torch.tensor([0, 1, 255, 2])
    laplacian = laplacian_matrix(stencil_pairs(torch.zeros((3, 2, 2)), 2, 12.0, 20.0), 4)
    targets = LossTargets.from_labels(labels, 3, laplacian)
    total, parts = gcn_loss(log_probs, targets, LossWeights(entropy=10.0, laplacian=0.01))
    assert math.isclose(parts["bg"], -math.log(0.5), rel_tol=1e-6)
    assert math.isclose(parts["fg"], (-math.log(0.8) - math.log(1 / 3)) / 2, rel_tol=1e-6)
    entropy = -(0.2 * math.log(0.2) * 2 + 0.6 * math.log(0.6)) / 3
    assert math.isclose(parts["entropy"], entropy, rel_tol=1e-6)
    expected = parts["fg"] + parts["bg"] + 10 * entropy + 0.01 * parts["laplacian"]
    assert math.isclose(total.item(), expected, rel_tol=1e-6)
    fast_total, no_parts = gcn_loss(log_probs, targets, LossWeights(entropy=10.0, laplacian=0.01), with_parts=False)
    assert no_parts == {} and math.isclose(fast_total.item(), expected, rel_tol=1e-6)


def test_empty_label_sets_contribute_zero_not_nan():
    log_probs = torch.log_softmax(torch.randn(4, 3), dim=1)
    laplacian = laplacian_matrix(stencil_pairs(torch.zeros((3, 2, 2)), 2, 12.0, 20.0), 4)
    total, parts = gcn_loss(
        log_probs,
        LossTargets.from_labels(torch.full((4,), 255), 3, laplacian),
        LossWeights(entropy=10.0, laplacian=0.01),
    )
    assert parts["fg"] == 0 and parts["bg"] == 0 and torch.isfinite(total)


def test_gcn_shapes_init_and_dropout_only_in_training():
    torch.manual_seed(0)
    model = GCN(160, 16, 21, 0.3)
    assert model.layer1.weight.abs().max() <= 1 / 4 and model.layer2.bias.abs().max() <= 1 / math.sqrt(21)
    features = torch.randn(30, 160)
    identity = lambda x: x  # noqa: E731
    model.eval()
    out = model(features, identity)
    assert out.shape == (30, 21) and torch.allclose(out.exp().sum(dim=1), torch.ones(30))
    assert torch.equal(out, model(features, identity))
    model.train()
    assert not torch.equal(model(features, identity), model(features, identity))


def test_dropout_zeroes_the_rate_and_keeps_the_expectation():
    torch.manual_seed(0)
    dropped = inverted_dropout(torch.ones(200_000), 0.3)
    assert abs((dropped == 0).float().mean().item() - 0.3) < 0.005
    assert torch.allclose(dropped[dropped > 0], torch.tensor(1 / 0.7))


def test_gcn_on_precomputed_a_hat_v_is_the_published_two_layer_product():
    torch.manual_seed(1)
    model = GCN(160, 16, 21, 0.3).eval()
    graph = torch.rand(30, 30, dtype=torch.float64)
    graph /= graph.sum(dim=1, keepdim=True)
    features = torch.randn(30, 160, dtype=torch.float64)
    model.double()
    hidden = torch.relu(graph @ (features @ model.layer1.weight) + model.layer1.bias)
    published = torch.log_softmax(graph @ (hidden @ model.layer2.weight) + model.layer2.bias, dim=1)
    assert torch.allclose(model(graph @ features, lambda x: graph @ x), published, atol=1e-12)


PARTIAL_CRF = CrfParams(
    gaussian_sxy=4, gaussian_compat=3, bilateral_sxy=20, bilateral_srgb=3, bilateral_compat=10, iterations=10
)


def _blob_case() -> tuple[np.ndarray, np.ndarray]:
    rgb = np.full((30, 30, 3), 90, np.uint8)
    rgb[10:20, 10:20] = (230, 20, 20)
    yy, xx = np.mgrid[:30, :30]
    cam = np.exp(-((yy - 14.5) ** 2 + (xx - 14.5) ** 2) / 40.0)[None].astype(np.float32)
    return rgb, cam


def test_partial_labels_keep_a_confident_core_and_far_background():
    rgb, cam = _blob_case()
    label = partial_labels(rgb, cam, np.array([4]), PartialLabelParams.defaults(), PARTIAL_CRF)
    assert label.dtype == np.uint8 and set(np.unique(label)) == {0, 5, 255}
    assert (label[13:17, 13:17] == 5).all()  # the CAM peak: top 30 % of the class's values
    assert (label[:3, :3] == 0).all()  # max CAM ~ 0: bg^32 ~ 1 > 0.8
    core = cam[0] > np.sort(cam[0][cam[0] > 0.1])[int(np.floor((cam[0] > 0.1).sum() * 0.7))]
    assert not (label[~core] == 5).any()  # no class pixel outside the confident core


def test_partial_labels_defined_where_the_published_code_fails():
    rgb, cam = _blob_case()
    weak = np.concatenate([cam, np.full_like(cam, 0.05)])  # second class never exceeds 0.1
    label = partial_labels(rgb, weak, np.array([4, 7]), PartialLabelParams.defaults(), PARTIAL_CRF)
    assert not (label == 8).any()
    empty = partial_labels(
        rgb, np.zeros((0, 30, 30), np.float32), np.zeros(0, int), PartialLabelParams.defaults(), PARTIAL_CRF
    )
    assert (empty == 0).all()


def test_dense_graph_matches_the_published_construction():
    from test_random_walk import RADIUS5, _naive_path_max

    from wsgcn.gcn.graph import dense_normalised_graph

    rng = np.random.default_rng(3)
    b = rng.random((6, 7)) ** 3
    h, w = b.shape
    a = np.eye(h * w)
    for p in range(h * w):
        py, px = divmod(p, w)
        for dy, dx in RADIUS5:
            if 0 <= py + dy < h and 0 <= px + dx < w:
                q = (py + dy) * w + px + dx
                a[p, q] = a[q, p] = 1 - _naive_path_max(b, (py, px), (dy, dx))
    s = a**10
    t = s / s.sum(axis=0, keepdims=True)
    for _ in range(8):
        t = t @ t
    expected = np.maximum(t, t.T) + np.eye(h * w)
    expected /= expected.sum(axis=1, keepdims=True)
    for method in ("eigh", "squarings"):
        graph = dense_normalised_graph(torch.from_numpy(b), **walk_graph_args(), method=method).numpy()
        np.testing.assert_allclose(graph, expected, atol=1e-10)
        np.testing.assert_allclose(graph.sum(axis=1), 1.0)
