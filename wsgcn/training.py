"""The shared training loop: deterministic batches, poly lr, atomic checkpoints, resume.

Used by every trained network (CAM classifier, IRNet). Batches are drawn in a seeded
order per epoch (drop_last, as IRNet); a checkpoint carries a *run key* naming
everything the training depends on, so a checkpoint of another configuration is ignored
and a resumed run gives the same weights as an uninterrupted one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from wsgcn.checkpoint import load_checkpoint, save_checkpoint, save_torch_file
from wsgcn.errors import ConfigError, NumericalError
from wsgcn.io.atomic import write_text_atomic
from wsgcn.optim import ParamGroup, make_poly_sgd, set_poly_lr
from wsgcn.params import ConfigParams
from wsgcn.runtime import derived_seed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainParams(ConfigParams):
    """What every trained network shares: poly SGD, crops, seed, checkpoints.

    Subclasses add their schedule (:class:`EpochTrainParams` or iterations) and name their
    config section in ``section``.
    """

    batch_size: int
    lr: float
    weight_decay: float
    momentum: float
    poly_power: float
    crop_size: int
    seed: int
    checkpoint_every: int

    def total_steps(self, num_images: int) -> int:
        """Optimiser steps of the whole run."""
        raise NotImplementedError

    def momentum_quirk(self) -> bool:
        """Whether SGD gets IRNet's PolyOptimizer quirk (weight decay passed as momentum)."""
        return False

    def lr_step(self, step: int) -> int:
        """The step the poly schedule is evaluated at (every step by default)."""
        return step

    def group_lr_scale(self, step: int, group: int) -> float:
        """Multiplier on parameter group ``group``'s poly lr at ``step`` (1 by default)."""
        return 1.0

    def poly_sgd(self, groups: Sequence[ParamGroup]) -> torch.optim.SGD:
        """SGD over (parameters, lr multiplier[, weight-decay multiplier]) groups, base lr ``lr``."""
        return make_poly_sgd(
            [(parameters, self.lr * multiplier, *decay_mult) for parameters, multiplier, *decay_mult in groups],
            self.weight_decay,
            self.momentum,
            self.momentum_quirk(),
        )


@dataclass(frozen=True)
class EpochTrainParams(TrainParams):
    """IRNet's schedule: ``epochs`` full epochs, and its PolyOptimizer's momentum quirk."""

    epochs: int
    published_momentum_quirk: bool

    def total_steps(self, num_images: int) -> int:
        """Optimiser steps of the whole run: ``epochs`` full epochs."""
        return steps_per_epoch(num_images, self.batch_size) * self.epochs

    def momentum_quirk(self) -> bool:
        return self.published_momentum_quirk


def steps_per_epoch(num_images: int, batch_size: int) -> int:
    """Full batches per epoch (drop_last, as IRNet)."""
    return num_images // batch_size


def epoch_order(num_images: int, seed: int, epoch: int) -> np.ndarray:
    """The seeded permutation of the training images in ``epoch``."""
    return np.random.default_rng(derived_seed(seed, "order", epoch)).permutation(num_images)


def run_training(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    ids: Sequence[str],
    params: TrainParams,
    batch_loss: Callable[[list[str], int], torch.Tensor],
    model_path: str | Path,
    checkpoint_path: str | Path,
    history_path: str | Path,
    run_key: str,
) -> None:
    """Train ``model`` with ``batch_loss(batch_ids, epoch)`` and save its state dict.

    ``history_path`` gets a CSV of step, epoch, lr factor and loss; error messages name
    the keys of ``params.section``.
    """
    per_epoch = steps_per_epoch(len(ids), params.batch_size)
    if per_epoch == 0:
        raise ConfigError(f"{params.section}.batch_size: {params.batch_size} exceeds the {len(ids)} training images")
    max_step = params.total_steps(len(ids))
    step, history = 0, ["step,epoch,lr_factor,loss"]
    checkpoint = load_checkpoint(checkpoint_path)
    if checkpoint is not None and checkpoint.get("run_key") == run_key:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        step, history = int(checkpoint["step"]), list(checkpoint["history"])
        log.info("resumed from %s at step %d of %d", checkpoint_path, step, max_step)
    elif checkpoint is not None:
        log.info("ignoring %s: it belongs to another configuration", checkpoint_path)

    model.train()
    started = time.perf_counter()
    first = step
    while step < max_step:
        epoch, index = divmod(step, per_epoch)
        order = epoch_order(len(ids), params.seed, epoch)
        batch_ids = [ids[i] for i in order[index * params.batch_size : (index + 1) * params.batch_size]]
        factor = set_poly_lr(optimizer, params.lr_step(step), max_step, params.poly_power)
        for index, group in enumerate(optimizer.param_groups):
            group["lr"] *= params.group_lr_scale(step, index)
        loss = batch_loss(batch_ids, epoch)
        if not torch.isfinite(loss):
            raise NumericalError(f"training loss is {loss.item()} at step {step}; lower {params.section}.lr")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        history.append(f"{step},{epoch},{factor:.6f},{loss.item():.6f}")
        if step % 10 == 0 or step == max_step:
            rate = (time.perf_counter() - started) / (step - first)
            log.info(
                "step %d/%d epoch %d loss %.4f lr x%.4f (%.2f s/step)", step, max_step, epoch, loss.item(), factor, rate
            )
        if step % params.checkpoint_every == 0 or step % per_epoch == 0 or step == max_step:
            state = {"run_key": run_key, "step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict()}
            save_checkpoint(checkpoint_path, {**state, "history": history})
    save_torch_file(model_path, {key: value.cpu() for key, value in model.state_dict().items()})
    write_text_atomic(history_path, "\n".join(history) + "\n")
    log.info("saved %s after %d steps", model_path, max_step)
