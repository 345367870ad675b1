"""SGD with IRNet's polynomial learning-rate decay, including its published quirk.

IRNet's ``PolyOptimizer`` passes the weight decay positionally into ``torch.optim.SGD``'s
*momentum* slot: the published CAM and IRNet runs use momentum = weight decay (1e-4),
i.e. effectively no momentum. ``published_momentum_quirk=True`` reproduces that.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def make_poly_sgd(
    groups: Sequence[tuple[list[nn.Parameter], float]],
    weight_decay: float,
    momentum: float,
    published_momentum_quirk: bool,
) -> torch.optim.SGD:
    """SGD over ``(parameters, base_lr)`` groups; each group remembers its base lr."""
    effective_momentum = weight_decay if published_momentum_quirk else momentum
    param_groups = [
        {"params": params, "lr": lr, "initial_lr": lr, "weight_decay": weight_decay} for params, lr in groups if params
    ]
    return torch.optim.SGD(param_groups, lr=param_groups[0]["lr"], momentum=effective_momentum)


def set_poly_lr(optimizer: torch.optim.Optimizer, step: int, max_step: int, power: float) -> float:
    """Set lr = initial_lr * (1 - step / max_step) ** power in every group; returns the factor."""
    factor = (1.0 - step / max_step) ** power
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"] * factor
    return factor
