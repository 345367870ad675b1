"""The colour/position Laplacian of WSGCN's loss as a 5x5 stencil (``GCN/train.py::compute_lap_test``).

Phi_ij = exp(-|c_i - c_j|^2 / colour_scale - |p_i - p_j|^2 / position_scale) for nodes
within ``radius`` rows and columns of each other on the stride-4 grid (c in [0, 1]^3, p
in grid units), 0 otherwise; L = D_Phi - Phi. The published code builds Phi densely in
float64 with a Python loop; here it is the list of the ~12 N node pairs of the window with
their weights, assembled once per image into a sparse L (25 entries per row), so the
loss is one sparse product per step and its gradient 2 L Q reuses that product.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from wsgcn.sparse import csr_matrix


def half_window(radius: int) -> list[tuple[int, int]]:
    """Offsets (dy, dx) covering each unordered pair of the (2r+1)^2 window once."""
    return [(0, dx) for dx in range(1, radius + 1)] + [
        (dy, dx) for dy in range(1, radius + 1) for dx in range(-radius, radius + 1)
    ]


def _pair_slices(height: int, width: int, dy: int, dx: int) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """Slices of the sources and destinations of offset (dy, dx) inside an (h, w) grid."""
    source = (slice(0, height - dy), slice(max(0, -dx), width - max(0, dx)))
    target = (slice(dy, height), slice(max(0, dx), width - max(0, -dx)))
    return source, target


@dataclass(frozen=True)
class StencilPairs:
    """Every unordered node pair of the window once: flat node indices and Phi (P,)."""

    sources: torch.Tensor
    targets: torch.Tensor
    weights: torch.Tensor


def stencil_pairs(colours: torch.Tensor, radius: int, colour_scale: float, position_scale: float) -> StencilPairs:
    """Phi of all pairs within ``radius`` rows and columns, colours (3, h, w) in [0, 1]."""
    _, height, width = colours.shape
    flat = torch.arange(height * width, device=colours.device).view(height, width)
    sources, targets, weights = [], [], []
    for dy, dx in half_window(radius):
        if dy >= height or abs(dx) >= width:
            continue
        source, target = _pair_slices(height, width, dy, dx)
        colour_sq = ((colours[:, source[0], source[1]] - colours[:, target[0], target[1]]) ** 2).sum(dim=0)
        weights.append(torch.exp(-colour_sq / colour_scale - (dy * dy + dx * dx) / position_scale).reshape(-1))
        sources.append(flat[source].reshape(-1))
        targets.append(flat[target].reshape(-1))
    if not weights:
        empty = torch.zeros(0, dtype=torch.long, device=colours.device)
        return StencilPairs(empty, empty, torch.zeros(0, dtype=colours.dtype, device=colours.device))
    return StencilPairs(torch.cat(sources), torch.cat(targets), torch.cat(weights))


def laplacian_matrix(pairs: StencilPairs, count: int) -> torch.Tensor:
    """L = D_Phi - Phi (count, count) as a sparse CSR matrix from the window pairs."""
    device = pairs.weights.device
    nodes = torch.arange(count, device=device)
    degree = torch.zeros(count, dtype=pairs.weights.dtype, device=device)
    degree.index_add_(0, pairs.sources, pairs.weights).index_add_(0, pairs.targets, pairs.weights)
    rows = torch.cat([pairs.sources, pairs.targets, nodes])
    columns = torch.cat([pairs.targets, pairs.sources, nodes])
    values = torch.cat([-pairs.weights, -pairs.weights, degree])
    return csr_matrix(rows, columns, values, (count, count))


class _SymmetricQuadratic(torch.autograd.Function):
    """sum(Q * (L Q)) for a symmetric sparse L; the gradient 2 L Q reuses the forward product."""

    @staticmethod
    def forward(ctx, values: torch.Tensor, laplacian: torch.Tensor) -> torch.Tensor:
        product = laplacian @ values
        ctx.save_for_backward(product)
        return (values * product).sum()

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:
        (product,) = ctx.saved_tensors
        return 2 * grad_output * product, None


def laplacian_quadratic(values: torch.Tensor, laplacian: torch.Tensor) -> torch.Tensor:
    """trace(Q^T L Q) for node values Q (N, C) and L from :func:`laplacian_matrix`: the
    sum over unordered window pairs of Phi_ij |Q_i - Q_j|^2. Differentiable in ``values``."""
    return _SymmetricQuadratic.apply(values, laplacian.to(values.dtype))
