"""WSGCN's per-image loss (``GCN/train.py::gcn_train``): l_fg + l_bg + w_ent l_ent + w_lap l_lap."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from wsgcn.data.classes import IGNORE_LABEL
from wsgcn.gcn.laplacian import StencilPairs, laplacian_quadratic


@dataclass(frozen=True)
class LossWeights:
    """Weights of the entropy and Laplacian terms (published 10 and 0.01)."""

    entropy: float = 10.0
    laplacian: float = 0.01


def _mean_or_zero(values: torch.Tensor) -> torch.Tensor:
    """Mean of ``values``; 0 for an empty set (the published code returns NaN there)."""
    return values.mean() if values.numel() else values.new_zeros(())


def gcn_loss(
    log_probs: torch.Tensor,
    labels: torch.Tensor,
    pairs: StencilPairs,
    weights: LossWeights,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Total loss and its parts for log-probabilities (N, C) and partial labels (N,).

    * l_fg: mean of -Q[i, y_i] over nodes labelled 1..C-1;
    * l_bg: mean of -Q[i, 0] over nodes labelled 0 (a separate mean, balancing the two);
    * l_ent: mean of -exp(Q) Q over unlabelled (255) nodes *and* the C classes;
    * l_lap: trace(Q^T L Q) / N on the log-probabilities, L from the 5x5 colour stencil.

    An empty node set contributes 0 instead of the published NaN; a Laplacian weight of
    0 skips the Laplacian (reported as 0).
    """
    count = log_probs.shape[0]
    foreground = (labels > 0) & (labels != IGNORE_LABEL)
    background = labels == 0
    unlabelled = labels == IGNORE_LABEL
    l_fg = _mean_or_zero(-log_probs[foreground, labels[foreground]])
    l_bg = _mean_or_zero(-log_probs[background, 0])
    l_ent = _mean_or_zero(-(log_probs[unlabelled].exp() * log_probs[unlabelled]))
    l_lap = log_probs.new_zeros(())
    if weights.laplacian:
        l_lap = laplacian_quadratic(log_probs, pairs) / count
    total = l_fg + l_bg + weights.entropy * l_ent + weights.laplacian * l_lap
    parts = {"fg": l_fg.item(), "bg": l_bg.item(), "entropy": l_ent.item(), "laplacian": l_lap.item()}
    return total, parts
