"""The colour/position Laplacian of WSGCN's loss as a 5x5 stencil (``GCN/train.py::compute_lap_test``).

Phi_ij = exp(-|c_i - c_j|^2 / colour_scale - |p_i - p_j|^2 / position_scale) for nodes
within ``radius`` rows and columns of each other on the stride-4 grid (c in [0, 1]^3, p
in grid units), 0 otherwise; L = D_Phi - Phi. The published code builds Phi densely in
float64 with a Python loop; here it is a list of the ~12 N node pairs of the window
with their weights, so the loss is two gathers and a weighted sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


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


def stencil_pairs(
    colours: torch.Tensor, radius: int = 2, colour_scale: float = 12.0, position_scale: float = 20.0
) -> StencilPairs:
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


def laplacian_quadratic(values: torch.Tensor, pairs: StencilPairs) -> torch.Tensor:
    """trace(Q^T L Q) for node values Q (N, C): the sum over unordered pairs of
    Phi_ij |Q_i - Q_j|^2. Differentiable in ``values``."""
    difference = values[pairs.sources] - values[pairs.targets]
    return (pairs.weights.to(values.dtype) * (difference**2).sum(dim=1)).sum()
