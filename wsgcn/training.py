"""The shared training loop: deterministic batches, poly lr, atomic checkpoints, resume.

Used by every trained network (CAM classifier, IRNet). Batches are drawn in a seeded
order per epoch (drop_last, as IRNet); a checkpoint carries a *run key* naming
everything the training depends on, so a checkpoint of another configuration is ignored
and a resumed run gives the same weights as an uninterrupted one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

from wsgcn.checkpoint import load_checkpoint, save_checkpoint
from wsgcn.errors import ConfigError
from wsgcn.io.atomic import atomic_path, write_text_atomic
from wsgcn.optim import set_poly_lr
from wsgcn.runtime import derived_seed

log = logging.getLogger(__name__)

ParamsT = TypeVar("ParamsT")


def params_from_config(cls: type[ParamsT], config: Mapping[str, Any], section: str) -> ParamsT:
    """A hyperparameter dataclass from a config section; lists become tuples where the
    field's default is a tuple; an unknown key is a :class:`ConfigError` naming ``section``."""
    known = {field.name: field for field in fields(cls)}  # type: ignore[arg-type]
    unknown = set(config) - set(known)
    if unknown:
        raise ConfigError(f"{section}: unknown keys {sorted(unknown)}")
    values = {
        name: tuple(value) if isinstance(known[name].default, tuple) else value for name, value in config.items()
    }
    return cls(**values)


@dataclass(frozen=True)
class Schedule:
    """How many steps, in which order, and how often to checkpoint."""

    epochs: int
    batch_size: int
    seed: int
    poly_power: float
    checkpoint_every: int


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
    schedule: Schedule,
    batch_loss: Callable[[list[str], int], torch.Tensor],
    model_path: str | Path,
    checkpoint_path: str | Path,
    history_path: str | Path,
    run_key: str,
    config_section: str,
) -> None:
    """Train ``model`` with ``batch_loss(batch_ids, epoch)`` and save its state dict.

    ``history_path`` gets a CSV of step, epoch, lr factor and loss. ``config_section``
    names the config keys in error messages (e.g. ``cam.train``).
    """
    per_epoch = steps_per_epoch(len(ids), schedule.batch_size)
    if per_epoch == 0:
        raise ConfigError(f"{config_section}.batch_size: {schedule.batch_size} exceeds the {len(ids)} training images")
    max_step = per_epoch * schedule.epochs
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
        order = epoch_order(len(ids), schedule.seed, epoch)
        batch_ids = [ids[i] for i in order[index * schedule.batch_size : (index + 1) * schedule.batch_size]]
        factor = set_poly_lr(optimizer, step, max_step, schedule.poly_power)
        loss = batch_loss(batch_ids, epoch)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"training loss is {loss.item()} at step {step}; lower {config_section}.lr")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        history.append(f"{step},{epoch},{factor:.6f},{loss.item():.6f}")
        if step % 10 == 0 or step == max_step:
            rate = (time.perf_counter() - started) / (step - first)
            log.info("step %d/%d epoch %d loss %.4f lr x%.4f (%.2f s/step)", step, max_step, epoch, loss.item(), factor, rate)
        if step % schedule.checkpoint_every == 0 or step % per_epoch == 0:
            state = {"run_key": run_key, "step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict()}
            save_checkpoint(checkpoint_path, {**state, "history": history})
    with atomic_path(model_path) as tmp:
        torch.save({key: value.cpu() for key, value in model.state_dict().items()}, tmp)
    write_text_atomic(history_path, "\n".join(history) + "\n")
    log.info("saved %s after %d steps", model_path, max_step)
