"""Sparse CSR matrices from (row, column, value) lists."""

from __future__ import annotations

import warnings

import torch


def csr_matrix(rows: torch.Tensor, columns: torch.Tensor, values: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """The ``shape`` matrix with ``values`` at (``rows``, ``columns``) as sparse CSR;
    repeated positions are summed. PyTorch's "CSR support is in beta" warning is muted."""
    matrix = torch.sparse_coo_tensor(torch.stack([rows, columns]), values, shape, check_invariants=False)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return matrix.coalesce().to_sparse_csr()
