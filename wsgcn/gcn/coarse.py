"""The ``fast`` graph: A_hat applied without an N x N matrix, from a lumped random walk.

IRNet's A = T^256 mixes each boundary-enclosed region almost completely, so A is close
to "spread a node's mass over its region, weighted by degree". The fast graph keeps
that structure and drops what a CPU cannot afford:

1. **Lumping.** Strong nodes (degree d = sum_j S_ij >= ``weak_degree``) are grouped
   into ``block`` x ``block`` cells of the stride-4 grid, each split into the parts
   its nodes connect within it (one-step affinity S > ``link``), so a cell never
   spans a boundary. The lumped chain
   T_c = S_c / vol (S_c[a, b] = sum of S over cells a, b) is reversible, so
   T_c^(2^k) comes exactly from one eigendecomposition of the m x m symmetric
   vol^-1/2 S_c vol^-1/2 (m ~ N / block^2), truncated to the eigenvalues with
   lambda^(2^k) > ``tolerance`` (a few dozen: the regions).
2. **Near-isolated nodes.** A node whose affinities to all neighbours are ~0 (d close
   to its self-loop 1) barely moves in 256 steps: it keeps ``retain = d^-(2^k)`` of
   its mass (the chance of never leaving) and leaks the rest into the cells of its
   strong neighbours, in proportion to S. Lumping it into its cell instead would
   mix it with whatever lies across the boundary it sits on. One with no strong
   neighbour at S > 0 (an "orphan", e.g. a pixel at B = 1, whose every S is exactly 0)
   keeps all of its mass.
3. **Symmetrisation.** A is reversible (d_j A[i, j] = d_i A[j, i]), so
   max(A, A^T)[i, j] = sym_ij * max(d_i, d_j) with sym symmetric. Nodes are sorted
   into ``degree_levels`` bands of log-degree: across bands max(d_i, d_j) is exact
   (the higher band's degree), within a band it is the mean (d_i + d_j) / 2.

Per node i with cell memberships q_i (one-hot for strong nodes, the leak distribution
for near-isolated ones) and keep_i = 1 - retain_i:
A[i, j] ~ retain_j [i = j] + d_i keep_i keep_j q_i^T H q_j, H = T_c^(2^k) / vol (symmetric,
rank r), so one product with A_hat costs O(N + m r levels) per column, never N x N.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from wsgcn.affinity.random_walk import transition_operator
from wsgcn.sparse import csr_matrix


class _SparseProduct(torch.autograd.Function):
    """Q X for a constant sparse Q, with Q^T given so the backward pass is one product too."""

    @staticmethod
    def forward(ctx, values: torch.Tensor, matrix: torch.Tensor, transpose: torch.Tensor) -> torch.Tensor:
        ctx.transpose = transpose
        return matrix @ values

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        return ctx.transpose @ grad_output, None, None


@dataclass(frozen=True)
class CoarseGraph:
    """The factors of the fast A_hat of one image (N nodes, m cells, L bands, rank r).

    With Q (N, L m) the cell-and-band memberships (rows sum to 1; column
    band * m + cell, with the node's degree band), keep = 1 - retain and A_hat's row scale s:
    ``gather`` = [diag(keep) Q, diag(d keep) Q]^T pools X and d X per cell and band,
    ``scatter`` = [diag(s d keep) Q, diag(s keep) Q] spreads them back, and
    ``self_weight`` = s (retain + 1) is the diagonal (graph plus identity).
    """

    gather: torch.Tensor
    """(2 m L, N) sparse."""
    gather_t: torch.Tensor
    scatter: torch.Tensor
    """(N, 2 m L) sparse."""
    scatter_t: torch.Tensor
    left: torch.Tensor
    """(m, r): H = left @ right^T on the cells."""
    right: torch.Tensor
    self_weight: torch.Tensor
    """(N, 1)."""

    @property
    def rank(self) -> int:
        return self.left.shape[1]

    def __call__(self, values: torch.Tensor) -> torch.Tensor:
        """A_hat X for X (N, C)."""
        columns = values.shape[1]
        cells = self.left.shape[0]
        if cells == 0:  # every node near-isolated: A_hat is diagonal
            return self.self_weight * values
        pooled = _SparseProduct.apply(values, self.gather, self.gather_t)
        plain, weighted = (self.right.T @ pooled.view(2, -1, cells, columns)).unbind(0)  # (L, r, C) each
        # band l: d_i * (bands below + half its own) + (d_j-weighted bands above + half its own)
        below = plain.cumsum(0) - plain / 2
        above = weighted.sum(0, keepdim=True) - weighted.cumsum(0) + weighted / 2
        per_cell = (self.left @ torch.stack([below, above])).reshape(-1, columns)
        return _SparseProduct.apply(per_cell, self.scatter, self.scatter_t) + self.self_weight * values


def coarse_graph(
    boundary: np.ndarray,
    radius: int,
    beta: float,
    exp_times: int,
    block: int,
    weak_degree: float,
    tolerance: float,
    degree_levels: int,
    link: float,
    device: torch.device | str = "cpu",
) -> CoarseGraph:
    """The fast A_hat of a stride-4 boundary map (h, w) (float32 factors on ``device``).

    Built in float64 on the CPU: the one-step affinities of IRNet (``radius``, ``beta``),
    ``block`` x ``block`` cells, nodes of degree < ``weak_degree`` treated as
    near-isolated, eigenvalues with lambda^(2^exp_times) <= ``tolerance`` dropped,
    ``degree_levels`` log-degree bands for max(A, A^T), cells split where S <= ``link``.
    """
    edge = torch.from_numpy(np.asarray(boundary, dtype=np.float64))
    height, width = edge.shape
    count = height * width
    steps = 2**exp_times
    affinity, degree = transition_operator(edge, radius, beta)
    rows = torch.repeat_interleave(torch.arange(count), affinity.crow_indices().diff())
    columns, values = affinity.col_indices(), affinity.values()

    grid_y, grid_x = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    cells_across = -(-width // block)
    cell_of_grid = ((grid_y // block) * cells_across + grid_x // block).reshape(-1)
    weak = degree < weak_degree
    strong = ~weak
    # split each block into the parts its strong nodes connect within it (S > link)
    linked = strong[rows] & strong[columns] & (cell_of_grid[rows] == cell_of_grid[columns]) & (values > link)
    part = torch.arange(count)
    for _ in range(block * block):
        part = part.scatter_reduce(0, rows[linked], part[columns[linked]], reduce="amin")
    cell_of_grid = part
    used = torch.unique(cell_of_grid[strong])
    cells = len(used)
    renumber = torch.full((int(cell_of_grid.max()) + 1,), -1, dtype=torch.long)
    renumber[used] = torch.arange(cells)
    cell = renumber[cell_of_grid]

    # near-isolated nodes: leak into the cells of their strong neighbours, in proportion to S;
    # an orphan (no strong neighbour with S > 0, e.g. fenced in by B = 1) keeps all its mass
    leaks = weak[rows] & strong[columns] & (values > 0)
    leak_rows, leak_cells, leak_values = rows[leaks], cell[columns[leaks]], values[leaks]
    leak_total = torch.zeros(count, dtype=torch.float64).index_add_(0, leak_rows, leak_values)
    orphan = weak & (leak_total == 0)
    retain = torch.where(weak, degree.reciprocal() ** steps, torch.zeros_like(degree))
    retain = torch.where(orphan, torch.ones_like(degree), retain)
    strong_nodes = strong.nonzero()[:, 0]
    member_rows = torch.cat([strong_nodes, leak_rows])
    member_cells = torch.cat([cell[strong_nodes], leak_cells])
    member_values = torch.cat([torch.ones(len(strong_nodes), dtype=torch.float64), leak_values / leak_total[leak_rows]])
    keep = 1.0 - retain

    # lumped chain: strong-strong affinities, the leaking volume of near-isolated nodes on the diagonal
    pairs = strong[rows] & strong[columns]
    lumped = torch.zeros(cells * cells, dtype=torch.float64)
    lumped.index_add_(0, cell[rows[pairs]] * cells + cell[columns[pairs]], values[pairs])
    lumped = lumped.view(cells, cells)
    leaked = torch.zeros(cells, dtype=torch.float64).index_add_(
        0, member_cells, (degree * keep)[member_rows] * member_values
    )
    strong_volume = torch.zeros(cells, dtype=torch.float64).index_add_(0, cell[strong_nodes], degree[strong_nodes])
    lumped.diagonal().add_(leaked - strong_volume)
    scale = lumped.sum(dim=0).rsqrt()
    symmetric = scale[:, None] * lumped * scale[None, :]
    eigenvalues, vectors = torch.linalg.eigh(((symmetric + symmetric.T) / 2).float())
    eigenvalues, vectors = eigenvalues.double(), vectors.double()
    power = eigenvalues.clamp(-1.0, 1.0) ** steps
    kept = power > tolerance
    vectors = vectors[:, kept] * scale[:, None]

    log_degree = degree.log()
    edges = torch.linspace(0.0, float(log_degree.max()), degree_levels + 1, dtype=torch.float64)[1:-1]
    band = torch.bucketize(log_degree, edges, right=True)
    slot = band[member_rows] * cells + member_cells
    slots = cells * degree_levels
    keep_values = member_values * keep[member_rows]
    degree_values = keep_values * degree[member_rows]
    left = (vectors * power[kept]).float()
    right = vectors.float()

    nodes, both = torch.cat([member_rows, member_rows]), torch.cat([slot, slot + slots])
    gathered = torch.cat([keep_values, degree_values])
    scattered = torch.cat([degree_values, keep_values])

    def on_device(
        rows: torch.Tensor, columns: torch.Tensor, weights: torch.Tensor, shape: tuple[int, int]
    ) -> torch.Tensor:
        return csr_matrix(rows, columns, weights, shape).float().to(device)

    def scatter_pair(row_scale: torch.Tensor) -> dict[str, torch.Tensor]:
        """The scatter matrices and diagonal for A_hat's row scale (N,)."""
        weights = scattered * row_scale[nodes]
        return {
            "scatter": on_device(nodes, both, weights, (count, 2 * slots)),
            "scatter_t": on_device(both, nodes, weights, (2 * slots, count)),
            "self_weight": (row_scale * (retain + 1.0)).float()[:, None].to(device),
        }

    unscaled = CoarseGraph(
        gather=on_device(both, nodes, gathered, (2 * slots, count)),
        gather_t=on_device(nodes, both, gathered, (count, 2 * slots)),
        left=left.to(device),
        right=right.to(device),
        **scatter_pair(torch.ones(count, dtype=torch.float64)),
    )
    row_sums = unscaled(torch.ones(count, 1, device=device))[:, 0].double().cpu()
    return dataclasses.replace(unscaled, **scatter_pair(1.0 / row_sums))
