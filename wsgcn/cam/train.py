"""Training the CAM classifier on image-level labels (IRNet ``step/train_cam.py``).

Multilabel soft-margin loss, SGD with poly decay (backbone lr, classifier lr x10), the
published no-momentum quirk as an option. Checkpoints are written every
``checkpoint_every`` steps and at the end of each epoch; a rerun with the same run key
resumes from the last one and gives the same final weights as an uninterrupted run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from wsgcn.cam.augment import augment
from wsgcn.checkpoint import load_checkpoint, save_checkpoint
from wsgcn.data.dataset import Dataset
from wsgcn.data.images import load_rgb
from wsgcn.data.labels import multi_hot
from wsgcn.errors import ConfigError, InputError
from wsgcn.io.atomic import atomic_path, write_text_atomic
from wsgcn.models.backbones import backbone_spec
from wsgcn.models.cam_net import CamNet
from wsgcn.optim import make_poly_sgd, set_poly_lr
from wsgcn.runtime import derived_seed, seed_all

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CamTrainParams:
    """Hyperparameters of CAM training (config ``cam.train``)."""

    epochs: int = 5
    batch_size: int = 16
    lr: float = 0.1
    classifier_lr_mult: float = 10.0
    weight_decay: float = 1e-4
    momentum: float = 0.9
    published_momentum_quirk: bool = True
    poly_power: float = 0.9
    crop_size: int = 512
    resize_long: tuple[int, int] = (320, 640)
    seed: int = 0
    checkpoint_every: int = 100

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CamTrainParams:
        values = dict(config)
        if "resize_long" in values:
            values["resize_long"] = tuple(values["resize_long"])
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"cam.train: unknown keys {sorted(unknown)}")
        return cls(**values)


def steps_per_epoch(num_images: int, batch_size: int) -> int:
    """Full batches per epoch (drop_last, as IRNet)."""
    return num_images // batch_size


def _epoch_order(num_images: int, seed: int, epoch: int) -> np.ndarray:
    return np.random.default_rng(derived_seed(seed, "order", epoch)).permutation(num_images)


def _load_batch(
    dataset: Dataset, ids: Sequence[str], params: CamTrainParams, fill: tuple[float, float, float], seed: int, epoch: int
) -> torch.Tensor:
    crops = []
    for image_id in ids:
        rng = np.random.default_rng(derived_seed(seed, "augment", epoch, image_id))
        crops.append(augment(load_rgb(dataset.image_path(image_id)), params.resize_long, params.crop_size, fill, rng))
    return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).contiguous()


def train_cam(
    dataset: Dataset,
    ids: Sequence[str],
    params: CamTrainParams,
    backbone: str,
    backbone_weights: str,
    model_path: str | Path,
    checkpoint_path: str | Path,
    history_path: str | Path,
    run_key: str,
    device: torch.device,
) -> None:
    """Train a :class:`CamNet` on ``ids`` and save its state dict to ``model_path``.

    ``run_key`` identifies everything the training depends on; a checkpoint with
    another key is ignored (training starts over). ``history_path`` gets a CSV of
    step, epoch, lr factor and loss.
    """
    per_epoch = steps_per_epoch(len(ids), params.batch_size)
    if per_epoch == 0:
        raise ConfigError(f"cam.train.batch_size: {params.batch_size} exceeds the {len(ids)} training images")
    max_step = per_epoch * params.epochs
    labels = {image_id: multi_hot(dataset.image_labels(image_id), len(dataset.class_names)) for image_id in ids}
    if not any(vector.any() for vector in labels.values()):
        raise InputError("none of the training images has a foreground label")

    seed_all(params.seed)
    model = CamNet(backbone, len(dataset.class_names), backbone_weights).to(device)
    backbone_params, classifier_params = model.parameter_groups()
    optimizer = make_poly_sgd(
        [(backbone_params, params.lr), (classifier_params, params.lr * params.classifier_lr_mult)],
        params.weight_decay,
        params.momentum,
        params.published_momentum_quirk,
    )
    step, history = 0, ["step,epoch,lr_factor,loss"]
    checkpoint = load_checkpoint(checkpoint_path)
    if checkpoint is not None and checkpoint.get("run_key") == run_key:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        step, history = int(checkpoint["step"]), list(checkpoint["history"])
        log.info("resumed from %s at step %d of %d", checkpoint_path, step, max_step)
    elif checkpoint is not None:
        log.info("ignoring %s: it belongs to another configuration", checkpoint_path)

    fill = tuple(255.0 * m for m in backbone_spec(backbone).mean)
    model.train()
    started = time.perf_counter()
    while step < max_step:
        epoch, index = divmod(step, per_epoch)
        order = _epoch_order(len(ids), params.seed, epoch)
        batch_ids = [ids[i] for i in order[index * params.batch_size : (index + 1) * params.batch_size]]
        images = _load_batch(dataset, batch_ids, params, fill, params.seed, epoch).to(device)
        targets = torch.from_numpy(np.stack([labels[i] for i in batch_ids])).to(device)
        factor = set_poly_lr(optimizer, step, max_step, params.poly_power)
        loss = F.multilabel_soft_margin_loss(model(images), targets)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"CAM training loss is {loss.item()} at step {step}; lower cam.train.lr")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        history.append(f"{step},{epoch},{factor:.6f},{loss.item():.6f}")
        if step % 10 == 0 or step == max_step:
            rate = (time.perf_counter() - started) / max(1, len(history) - 1)
            log.info("step %d/%d epoch %d loss %.4f lr x%.4f (%.2f s/step)", step, max_step, epoch, loss.item(), factor, rate)
        if step % params.checkpoint_every == 0 or step % per_epoch == 0:
            save_checkpoint(
                checkpoint_path,
                {"run_key": run_key, "step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict(), "history": history},
            )
    with atomic_path(model_path) as tmp:
        torch.save({key: value.cpu() for key, value in model.state_dict().items()}, tmp)
    write_text_atomic(history_path, "\n".join(history) + "\n")
    log.info("saved %s after %d steps", model_path, max_step)
