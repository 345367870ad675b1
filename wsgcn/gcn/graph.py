"""The graph WSGCN propagates over (§5.2): A_hat = row-normalise(max(A, A^T) + I), A = T^256.

``exact`` mode: the dense construction of the published code (N x N, on CUDA when the
boundary map is there), the reference that faster modes are measured against.
"""

from __future__ import annotations

import torch

from wsgcn.affinity.random_walk import transition_operator


def dense_normalised_graph(boundary: torch.Tensor, radius: int = 5, beta: float = 10.0, exp_times: int = 8) -> torch.Tensor:
    """A_hat (N, N) of a stride-4 boundary map (h, w), N = h * w, row-major nodes.

    T = S / colsum(S) with S = A1 ** beta (IRNet's one-step affinity), A = T^(2^exp_times)
    by repeated squaring, then max(A, A^T) + I normalised to unit row sums.
    """
    matrix, column_sums = transition_operator(boundary, radius, beta)
    transition = matrix.to_dense() / column_sums[None, :]
    for _ in range(exp_times):
        transition = transition @ transition
    graph = torch.maximum(transition, transition.T) + torch.eye(transition.shape[0], dtype=transition.dtype, device=transition.device)
    return graph / graph.sum(dim=1, keepdim=True)
