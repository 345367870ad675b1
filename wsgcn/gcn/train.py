"""Training one GCN on one image's graph (``GCN/train.py::gcn_train``) and reading it out.

A fresh model and Adam optimiser per image, ``steps`` full-batch steps on the partial
labels, then one forward pass with dropout off. The seed comes from the image id, so
an image's result does not depend on which other images share its job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from wsgcn.errors import NumericalError
from wsgcn.gcn.laplacian import laplacian_matrix, stencil_pairs
from wsgcn.gcn.loss import LossTargets, LossWeights, gcn_loss
from wsgcn.gcn.model import GCN, Propagate
from wsgcn.params import ConfigParams


@dataclass(frozen=True)
class GcnTrainParams(ConfigParams):
    """Config ``gcn.train`` (published values as defaults; a weight of 0 switches a loss off)."""

    section: ClassVar[str] = "gcn.train"

    hidden: int
    dropout: float
    lr: float
    weight_decay: float
    steps: int
    entropy_weight: float
    laplacian_weight: float
    laplacian_radius: int
    colour_scale: float
    position_scale: float
    seed: int


def train_gcn(
    features: torch.Tensor,
    labels: np.ndarray,
    colours: torch.Tensor,
    propagate: Propagate,
    params: GcnTrainParams,
    seed: int,
    classes: int,
) -> tuple[torch.Tensor, list[dict[str, float]]]:
    """Train a GCN and return its eval-mode log-probabilities (classes, h, w) and the loss log.

    ``features`` (N, F) are the node features (V reshaped, row-major nodes), ``labels``
    (h, w) the partial labels (0, 1..classes-1, 255), ``colours`` (3, h, w) the image at
    the grid's size in [0, 1], ``propagate`` applies A_hat to an (N, C) matrix. The loss
    log has one entry per ``steps // 10`` steps and the last step.
    """
    height, width = labels.shape
    device = features.device
    torch.manual_seed(seed)
    model = GCN(features.shape[1], params.hidden, classes, params.dropout).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=params.lr, weight_decay=params.weight_decay, foreach=True)
    pairs = stencil_pairs(colours, params.laplacian_radius, params.colour_scale, params.position_scale)
    nodes = torch.from_numpy(labels.astype(np.int64).reshape(-1)).to(device)
    targets = LossTargets.from_labels(nodes, classes, laplacian_matrix(pairs, nodes.shape[0]))
    weights = LossWeights(params.entropy_weight, params.laplacian_weight)
    log: list[dict[str, float]] = []
    every = max(1, params.steps // 10)
    propagated = propagate(features)
    model.train()
    for step in range(params.steps):
        optimizer.zero_grad(set_to_none=True)
        log_probs = model(propagated, propagate)
        logged = step % every == 0 or step == params.steps - 1
        loss, parts = gcn_loss(log_probs, targets, weights, with_parts=logged)
        if not torch.isfinite(loss):
            raise NumericalError(f"GCN loss is {loss.item()} at step {step}")
        loss.backward()
        optimizer.step()
        if logged:
            log.append({"step": step, "loss": loss.item(), **parts})
    model.eval()
    with torch.no_grad():
        log_probs = model(propagated, propagate)
    return log_probs.T.reshape(classes, height, width), log
