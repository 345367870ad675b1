"""WSGCN's two-layer GCN (``GCN/models.py``, ``GCN/layers.py``, pygcn style).

Layer l computes A_hat (X W_l) + b_l; H1 = ReLU(layer 1), dropout on H1 only, output
log_softmax over all classes. A_hat goes to the narrower side of the product:
(A_hat X) W when X has fewer columns than X W (layer 2: 16 instead of 21).
``propagate`` applies A_hat to an (N, C) matrix, so any graph representation (dense,
coarse, sparse) can drive the same model. The input of layer 1 never changes, so the
model takes A_hat V, computed once per image: A_hat (V W1) = (A_hat V) W1.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

Propagate = Callable[[torch.Tensor], torch.Tensor]


def inverted_dropout(values: torch.Tensor, rate: float) -> torch.Tensor:
    """F.dropout's training behaviour (zero with probability ``rate``, scale the rest by
    1 / (1 - rate)) from one uniform draw: half the CPU time of F.dropout's bernoulli_."""
    keep = (torch.rand_like(values) >= rate).to(values.dtype).mul_(1.0 / (1.0 - rate))
    return values * keep


class GraphConvolution(nn.Module):
    """A_hat (X W) + b with pygcn's init U(-1/sqrt(out), 1/sqrt(out)) for W and b."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.empty(out_features))
        bound = 1.0 / math.sqrt(out_features)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, features: torch.Tensor, propagate: Propagate | None) -> torch.Tensor:
        """A_hat (X W) + b; ``propagate=None`` when X is A_hat V already (gives (A_hat V) W + b)."""
        if propagate is None:
            return features @ self.weight + self.bias
        if features.shape[1] < self.weight.shape[1]:
            return propagate(features) @ self.weight + self.bias
        return propagate(features @ self.weight) + self.bias


class GCN(nn.Module):
    """160 -> hidden -> classes; returns log-probabilities (N, classes)."""

    def __init__(self, in_features: int, hidden: int, classes: int, dropout: float):
        super().__init__()
        self.layer1 = GraphConvolution(in_features, hidden)
        self.layer2 = GraphConvolution(hidden, classes)
        self.dropout = dropout

    def forward(self, propagated_features: torch.Tensor, propagate: Propagate) -> torch.Tensor:
        """Log-probabilities (N, classes) from A_hat V (N, in_features)."""
        hidden = F.relu(self.layer1(propagated_features, None))
        if self.training and self.dropout:
            hidden = inverted_dropout(hidden, self.dropout)
        return F.log_softmax(self.layer2(hidden, propagate), dim=1)
