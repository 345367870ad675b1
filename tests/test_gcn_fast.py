"""The fast graph against the exact (dense, published) A_hat."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from conftest import fast_graph_options, walk_graph_args

from wsgcn.gcn.coarse import coarse_graph
from wsgcn.gcn.graph import GraphParams, dense_normalised_graph, graph_propagation


def _two_regions(height: int = 18, width: int = 20, seed: int = 0) -> np.ndarray:
    """A boundary map: a vertical wall splitting two low-boundary regions, one fenced-in pixel."""
    rng = np.random.default_rng(seed)
    boundary = rng.random((height, width)) * 0.2
    boundary[:, width // 2] = 0.95
    boundary[3:8, 2:7] = 0.97  # a ring around (5, 4) ...
    boundary[4:7, 3:6] = 0.97
    boundary[5, 4] = 0.05  # ... with a low-boundary pixel inside: near-isolated
    return boundary.astype(np.float32)


def _exact(boundary: np.ndarray) -> torch.Tensor:
    return dense_normalised_graph(torch.from_numpy(boundary.astype(np.float64)), **walk_graph_args()).float()


def test_without_lumping_and_with_fine_degree_bands_the_fast_graph_is_the_exact_one():
    # block 1 lumps nothing, weak_degree 1 marks no node near-isolated (d >= 1 always),
    # 2000 bands make the within-band mean of max(d_i, d_j) exact to ~0.1 %: what remains
    # is the algebra (low-rank walk, band sums, symmetrisation, row normalisation)
    boundary = _two_regions()
    graph = coarse_graph(boundary, **fast_graph_options(block=1, weak_degree=1.0, tolerance=1e-12, degree_levels=2000))
    fast = graph(torch.eye(boundary.size))
    assert torch.allclose(fast, _exact(boundary), atol=2e-3)


def test_default_fast_graph_is_close_to_exact_and_keeps_regions_apart():
    boundary = _two_regions()
    exact = _exact(boundary)
    fast = coarse_graph(boundary, **fast_graph_options())(torch.eye(boundary.size))
    assert torch.allclose(fast.sum(dim=1), torch.ones(boundary.size), atol=1e-5)
    assert (fast - exact).abs().sum(dim=1).mean() < 0.15  # mean row L1 error
    # propagate a left/right split: each side keeps its own label under both graphs
    width = boundary.shape[1]
    left = torch.zeros(boundary.size, 2)
    columns = torch.arange(boundary.size) % width
    left[columns < width // 2, 0] = 1.0
    left[columns > width // 2, 1] = 1.0
    agree = (exact @ left).argmax(1) == (fast @ left).argmax(1)
    assert agree.float().mean() > 0.95


def test_a_near_isolated_node_keeps_its_own_value():
    boundary = _two_regions()
    node = 5 * boundary.shape[1] + 4
    exact_row = _exact(boundary)[node]
    fast_row = coarse_graph(boundary, **fast_graph_options())(torch.eye(boundary.size))[node]
    assert exact_row[node] > 0.9
    assert fast_row[node] == pytest.approx(exact_row[node].item(), abs=0.02)


def test_a_graph_of_near_isolated_nodes_only_is_the_identity():
    boundary = np.full((6, 7), 0.99, np.float32)  # every affinity ~0: no strong node, no cell
    values = torch.randn(42, 3)
    assert torch.allclose(coarse_graph(boundary, **fast_graph_options())(values), values, atol=1e-6)
    assert torch.allclose(_exact(boundary) @ values, values, atol=1e-6)


def test_fast_graph_gradient_is_its_transpose_and_it_holds_no_dense_matrix():
    boundary = np.random.default_rng(2).random((30, 40)).astype(np.float32)
    graph = coarse_graph(boundary, **fast_graph_options())
    count = boundary.size
    for field in dataclasses.fields(graph):
        tensor = getattr(graph, field.name)
        stored = tensor.values().numel() if tensor.layout == torch.sparse_csr else tensor.numel()
        assert stored < count * count / 50, field.name
    values = torch.randn(count, 3, requires_grad=True)
    weights = torch.randn(count, 3)
    (graph(values) * weights).sum().backward()
    matrix = graph(torch.eye(count))
    assert torch.allclose(values.grad, matrix.T @ weights, atol=1e-4)


def test_graph_modes_share_one_interface():
    boundary = _two_regions()
    values = torch.randn(boundary.size, 4)
    results = {
        mode: graph_propagation(boundary, GraphParams.defaults(mode=mode), 5, 10.0, 8, torch.device("cpu"))(values)
        for mode in ("exact", "fast")
    }
    assert results["exact"].shape == results["fast"].shape == values.shape
    assert (results["exact"] - results["fast"]).abs().mean() < 0.1 * values.abs().mean()
