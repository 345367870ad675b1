"""The graph WSGCN propagates over (§5.2): A_hat = row-normalise(max(A, A^T) + I), A = T^256.

``exact`` mode: the dense construction of the published code (N x N, on CUDA when the
GCN runs there), the reference that the ``fast`` mode is measured against.
``fast`` mode: :mod:`wsgcn.gcn.coarse`, the CPU default (no N x N matrix anywhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from wsgcn.affinity.random_walk import transition_operator
from wsgcn.gcn.coarse import coarse_graph
from wsgcn.gcn.model import Propagate
from wsgcn.params import ConfigParams


def dense_normalised_graph(
    boundary: torch.Tensor, radius: int, beta: float, exp_times: int, method: str = "squarings"
) -> torch.Tensor:
    """A_hat (N, N) of a stride-4 boundary map (h, w), N = h * w, row-major nodes.

    T = S / colsum(S) with S = A1 ** beta (IRNet's one-step affinity) and A = T^(2^k),
    k = ``exp_times``, then max(A, A^T) + I normalised to unit row sums. Computed in the
    dtype of ``boundary`` (float64 recommended). ``method`` forms A:

    * ``squarings``: T squared k times, as IRNet does;
    * ``eigh``: T = D^1/2 M D^-1/2 with the symmetric M = D^-1/2 S D^-1/2, so
      A = D^1/2 U diag(lambda^(2^k)) U^T D^-1/2 from one symmetric eigendecomposition
      (the same matrix up to rounding).

    Squarings is the default on every device: on a CPU, eigh is not faster at a VOC
    image's size (``benchmarks/exact_graph.py``; the table is in docs/benchmarks.md).
    """
    if method not in ("squarings", "eigh"):
        raise ValueError(f"unknown method {method!r} (known: squarings, eigh)")
    matrix, degrees = transition_operator(boundary, radius, beta)
    if method == "squarings":
        transition = matrix.to_dense() / degrees[None, :]
        for _ in range(exp_times):
            transition = transition @ transition
    else:
        scale = degrees.rsqrt()
        symmetric = scale[:, None] * matrix.to_dense() * scale[None, :]
        eigenvalues, vectors = torch.linalg.eigh((symmetric + symmetric.T) / 2)
        kernel = (vectors * eigenvalues.clamp(-1.0, 1.0) ** (2**exp_times)) @ vectors.T
        root = degrees.sqrt()
        transition = root[:, None] * kernel / root[None, :]
    graph = torch.maximum(transition, transition.T)
    graph.diagonal().add_(1.0)
    return graph / graph.sum(dim=1, keepdim=True)


GRAPH_MODES = ("exact", "fast")


@dataclass(frozen=True)
class GraphParams(ConfigParams):
    """Config ``gcn.graph``: the mode and the ``fast`` mode's approximation (see :mod:`wsgcn.gcn.coarse`)."""

    section: ClassVar[str] = "gcn.graph"

    mode: str
    block: int
    weak_degree: float
    tolerance: float
    degree_levels: int
    link: float

    def __post_init__(self) -> None:
        if self.mode not in GRAPH_MODES:
            raise ValueError(f"gcn.graph.mode: unknown mode {self.mode!r} (known: {list(GRAPH_MODES)})")


def graph_propagation(
    boundary: np.ndarray, graph: GraphParams, radius: int, beta: float, exp_times: int, device: torch.device
) -> Propagate:
    """A function applying A_hat of the boundary map (h, w) to an (N, C) float32 matrix.

    ``exact``: the dense A_hat in float32 on ``device`` (built in float64), as published;
    ``fast``: the low-rank lumped graph (float32 factors on ``device``).
    """
    if graph.mode == "fast":
        return coarse_graph(
            boundary,
            radius,
            beta,
            exp_times,
            graph.block,
            graph.weak_degree,
            graph.tolerance,
            graph.degree_levels,
            graph.link,
            device,
        )
    edge = torch.from_numpy(boundary.astype(np.float64)).to(device)
    dense = dense_normalised_graph(edge, radius, beta, exp_times).float()
    return lambda values: dense @ values
