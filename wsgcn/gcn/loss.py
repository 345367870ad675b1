"""WSGCN's per-image loss (``GCN/train.py::gcn_train``): l_fg + l_bg + w_ent l_ent + w_lap l_lap."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from wsgcn.data.classes import IGNORE_LABEL
from wsgcn.gcn.laplacian import laplacian_quadratic


@dataclass(frozen=True)
class LossWeights:
    """Weights of the entropy and Laplacian terms (config ``gcn.train``)."""

    entropy: float
    laplacian: float


@dataclass(frozen=True)
class LossTargets:
    """One image's partial labels as dense per-node weights, so every term is an
    elementwise product and a sum (no masked gathers in the training loop).

    ``foreground`` (N, C): 1/|fg| at (i, y_i) of the nodes labelled 1..C-1;
    ``background`` (N,): 1/|bg| on the nodes labelled 0; ``unlabelled`` (N, 1):
    1/(|U| C) on the 255 nodes; ``laplacian``: L (N, N), sparse. An empty node set has
    all-zero weights, so it contributes 0 (the published code gives NaN there).
    """

    foreground: torch.Tensor
    background: torch.Tensor
    unlabelled: torch.Tensor
    laplacian: torch.Tensor
    labelled: torch.Tensor
    """(N, C): ``foreground`` with ``background`` added to column 0 (l_fg + l_bg in one product)."""

    @classmethod
    def from_labels(cls, labels: torch.Tensor, classes: int, laplacian: torch.Tensor) -> LossTargets:
        """Targets of partial labels (N,) in 0..classes-1 and 255."""
        dtype = torch.get_default_dtype()
        foreground = (labels > 0) & (labels != IGNORE_LABEL)
        background = labels == 0
        unlabelled = labels == IGNORE_LABEL
        fg_weights = torch.zeros(labels.shape[0], classes, dtype=dtype, device=labels.device)
        fg_nodes = foreground.nonzero()[:, 0]
        fg_weights[fg_nodes, labels[fg_nodes]] = 1.0 / max(len(fg_nodes), 1)
        bg_weights = background.to(dtype) / max(int(background.sum()), 1)
        unlabelled_weights = unlabelled.to(dtype)[:, None] / (max(int(unlabelled.sum()), 1) * classes)
        labelled = fg_weights.clone()
        labelled[:, 0] += bg_weights
        return cls(fg_weights, bg_weights, unlabelled_weights, laplacian, labelled)


def gcn_loss(
    log_probs: torch.Tensor, targets: LossTargets, weights: LossWeights, with_parts: bool = True
) -> tuple[torch.Tensor, dict[str, float]]:
    """Total loss and its parts for log-probabilities Q (N, C):

    * l_fg: mean of -Q[i, y_i] over nodes labelled 1..C-1;
    * l_bg: mean of -Q[i, 0] over nodes labelled 0 (a separate mean, balancing the two);
    * l_ent: mean of -exp(Q) Q over unlabelled (255) nodes *and* the C classes;
    * l_lap: trace(Q^T L Q) / N on the log-probabilities, L from the 5x5 colour stencil.

    A Laplacian weight of 0 skips the Laplacian (reported as 0). Without ``with_parts``
    the parts dict is empty and l_fg + l_bg is one weighted sum (fewer ops per step).
    """
    l_ent = -(targets.unlabelled * (log_probs.exp() * log_probs)).sum()
    l_lap = log_probs.new_zeros(())
    if weights.laplacian:
        l_lap = laplacian_quadratic(log_probs, targets.laplacian) / log_probs.shape[0]
    regularisers = weights.entropy * l_ent + weights.laplacian * l_lap
    if not with_parts:
        return -(targets.labelled * log_probs).sum() + regularisers, {}
    l_fg = -(targets.foreground * log_probs).sum()
    l_bg = -(targets.background * log_probs[:, 0]).sum()
    parts = {"fg": l_fg.item(), "bg": l_bg.item(), "entropy": l_ent.item(), "laplacian": l_lap.item()}
    return l_fg + l_bg + regularisers, parts
