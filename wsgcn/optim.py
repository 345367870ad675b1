"""SGD with IRNet's polynomial learning-rate decay, including its published quirk.

IRNet's ``PolyOptimizer`` passes the weight decay positionally into ``torch.optim.SGD``'s
*momentum* slot: the published CAM and IRNet runs use momentum = weight decay (1e-4),
i.e. effectively no momentum. ``published_momentum_quirk=True`` reproduces that.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

ParamGroup = tuple[list[nn.Parameter], float] | tuple[list[nn.Parameter], float, float]
"""(parameters, base lr) or (parameters, base lr, weight-decay multiplier; Caffe's decay_mult)."""


def make_poly_sgd(
    groups: Sequence[ParamGroup],
    weight_decay: float,
    momentum: float,
    published_momentum_quirk: bool,
) -> torch.optim.SGD:
    """SGD over ``groups``; each group remembers its base lr. The quirk's momentum is the
    global ``weight_decay``, whatever a group's multiplier."""
    effective_momentum = weight_decay if published_momentum_quirk else momentum
    param_groups = [
        {
            "params": params,
            "lr": lr,
            "initial_lr": lr,
            "weight_decay": weight_decay * (decay_mult[0] if decay_mult else 1.0),
        }
        for params, lr, *decay_mult in groups
        if params
    ]
    return torch.optim.SGD(param_groups, lr=param_groups[0]["lr"], momentum=effective_momentum)


def set_poly_lr(optimizer: torch.optim.Optimizer, step: int, max_step: int, power: float) -> float:
    """Set lr = initial_lr * (1 - step / max_step) ** power in every group; returns the factor."""
    factor = (1.0 - step / max_step) ** power
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"] * factor
    return factor
