"""IRNet path indices (``misc/indexing.py::PathIndex``) as offsets on a pixel grid.

A *direction* (dy, dx) links a source pixel to the pixel dy rows down and dx columns
across; only half the plane is enumerated (dy > 0, or dy = 0 and dx > 0), symmetry gives
the rest. Its *path* is every integer cell of the bounding box between (0, 0) and
(dy, dx) whose squared perpendicular distance to the segment is below 1. The affinity of
a pair is 1 - max(B) over the path cells.
"""

from __future__ import annotations

from functools import cache

import torch


@cache
def path_directions(radius: int) -> tuple[tuple[int, int], ...]:
    """Directions within ``radius``: 34 for radius 5, 152 for radius 10 (IRNet order)."""
    if radius < 2:
        raise ValueError("radius must be at least 2")
    directions = [(0, dx) for dx in range(1, radius)]
    directions += [
        (dy, dx) for dy in range(1, radius) for dx in range(-radius + 1, radius) if dy * dy + dx * dx < radius * radius
    ]
    return tuple(directions)


@cache
def path_cells(direction: tuple[int, int]) -> tuple[tuple[int, int], ...]:
    """Cells (y, x) on the path of ``direction``, destination first, source (0, 0) last."""
    dy, dx = direction
    length_sq = dy * dy + dx * dx
    cells = [
        (y, x)
        for y in range(min(0, dy), max(0, dy) + 1)
        for x in range(min(0, dx), max(0, dx) + 1)
        if (dy * x - dx * y) ** 2 / length_sq < 1
    ]
    return tuple(sorted(cells, key=lambda cell: -abs(cell[0]) - abs(cell[1])))


def training_window(height: int, width: int, radius: int) -> tuple[int, int, int]:
    """IRNet's source window on a (height, width) grid: (rows, first column, columns).

    Sources are rows 0..height-radius and columns radius-1..width-radius, so that every
    direction's destination is inside the grid.
    """
    margin = radius - 1
    rows, columns = height - margin, width - 2 * margin
    if rows < 1 or columns < 1:
        raise ValueError(f"grid {height}x{width} is too small for radius {radius}")
    return rows, margin, columns


def path_max(
    boundary: torch.Tensor, direction: tuple[int, int], top: int, left: int, rows: int, columns: int
) -> torch.Tensor:
    """max(B) along the path of ``direction`` for the sources in the window
    [top : top + rows, left : left + columns] of ``boundary`` (..., H, W)."""
    cells = [boundary[..., top + y : top + y + rows, left + x : left + x + columns] for y, x in path_cells(direction)]
    return torch.stack(cells).amax(dim=0)


def path_affinities(boundary: torch.Tensor, radius: int) -> torch.Tensor:
    """Affinities of IRNet's training pairs: boundary (..., H, W) -> (..., D, rows, columns).

    Entry [d, i, j] is 1 - max(B) along the path from source (i, margin + j) in direction
    d (the order of :func:`path_directions`). Differentiable in ``boundary``.
    """
    rows, first, columns = training_window(boundary.shape[-2], boundary.shape[-1], radius)
    maxima = [path_max(boundary, direction, 0, first, rows, columns) for direction in path_directions(radius)]
    return 1.0 - torch.stack(maxima, dim=-3)


def pair_destinations(grid: torch.Tensor, radius: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Values of a (..., H, W) grid at the training pairs' ends.

    Returns (source (..., 1, rows, columns), destination (..., D, rows, columns)).
    """
    rows, first, columns = training_window(grid.shape[-2], grid.shape[-1], radius)
    source = grid[..., None, 0:rows, first : first + columns]
    destination = torch.stack(
        [grid[..., dy : dy + rows, first + dx : first + dx + columns] for dy, dx in path_directions(radius)], dim=-3
    )
    return source, destination
