"""Training DeepLabv2 on a training set of (image, label PNG) pairs (algorithm.md §8a).

SGD with momentum 0.9 over the backbone's conv weights (lr x1), the ASPP weights (x1)
and the ASPP biases (x ``aspp_bias_lr_mult``, no weight decay); poly decay re-evaluated
every ``poly_every`` steps; pixel-wise cross entropy (255 ignored) on every output of
the network against labels nearest-resized to its size, summed. BatchNorm statistics
are trained as published unless ``freeze_bn`` (for the small batches of CPU runs).
Resumable through the shared training loop (:mod:`wsgcn.training`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from wsgcn.data.classes import IGNORE_LABEL
from wsgcn.errors import InputError
from wsgcn.io.label_png import read_label_png
from wsgcn.params import ConfigParams
from wsgcn.runtime import derived_seed, seed_all
from wsgcn.segmentation.augment import scale_crop_flip
from wsgcn.segmentation.deeplab import DeepLabV2
from wsgcn.training import TrainParams, run_training


@dataclass(frozen=True)
class DeepLabParams(ConfigParams):
    """The segmentation network (config ``segmentation.model``)."""

    section: ClassVar[str] = "segmentation.model"

    backbone: str
    weights: str
    output_stride: int
    aspp_rates: tuple[int, ...]
    msc_scales: tuple[float, ...]
    input_mean: tuple[float, ...] | None
    input_std: tuple[float, ...] | None

    def build(self, num_classes: int, weights: str | None = None, freeze_bn: bool = False) -> DeepLabV2:
        """The network; ``weights`` overrides the configured backbone weights (e.g. ``none``)."""
        return DeepLabV2(
            self.backbone,
            num_classes,
            self.weights if weights is None else weights,
            self.output_stride,
            self.aspp_rates,
            self.msc_scales,
            self.input_mean,
            self.input_std,
            freeze_bn,
        )


@dataclass(frozen=True)
class SegTrainParams(TrainParams):
    """DeepLabv2 training schedule (config ``segmentation.train``); ``iterations`` replaces epochs."""

    section: ClassVar[str] = "segmentation.train"

    iterations: int
    batch_size: int
    lr: float
    momentum: float
    weight_decay: float
    aspp_bias_lr_mult: float
    poly_power: float
    poly_every: int
    crop_size: int
    scales: tuple[float, ...]
    freeze_bn: bool

    def total_steps(self, num_images: int) -> int:
        return self.iterations

    def lr_step(self, step: int) -> int:
        return step - step % self.poly_every


def segmentation_loss(outputs: Sequence[torch.Tensor], labels: torch.Tensor) -> torch.Tensor:
    """Sum over outputs of the mean cross entropy against ``labels`` (N, H, W) nearest-resized to each."""
    total = torch.zeros((), device=labels.device)
    for logits in outputs:
        target = F.interpolate(labels[:, None].float(), size=logits.shape[-2:], mode="nearest")[:, 0].long()
        if (target != IGNORE_LABEL).any():
            total = total + F.cross_entropy(logits, target, ignore_index=IGNORE_LABEL)
    return total


def train_segmenter(
    load_image: Callable[[str], np.ndarray],
    label_paths: Mapping[str, Path],
    num_classes: int,
    model_params: DeepLabParams,
    params: SegTrainParams,
    model_path: str | Path,
    checkpoint_path: str | Path,
    history_path: str | Path,
    run_key: str,
    device: torch.device,
) -> None:
    """Train DeepLabv2 on the images ``label_paths`` names and save its state dict to ``model_path``."""
    ids = sorted(label_paths)
    seed_all(params.seed)
    model = model_params.build(num_classes, freeze_bn=params.freeze_bn).to(device)
    backbone, aspp_weights, aspp_biases = model.parameter_groups()
    optimizer = params.poly_sgd([(backbone, 1.0), (aspp_weights, 1.0), (aspp_biases, params.aspp_bias_lr_mult, 0.0)])
    fill = [255.0 * m for m in model.mean.flatten().tolist()]

    def batch_loss(batch_ids: list[str], epoch: int) -> torch.Tensor:
        images, targets = [], []
        for image_id in batch_ids:
            rng = np.random.default_rng(derived_seed(params.seed, "segmentation", epoch, image_id))
            rgb, labels = load_image(image_id), read_label_png(label_paths[image_id])
            if labels.shape != rgb.shape[:2]:
                raise InputError(
                    f"{label_paths[image_id]}: label size {labels.shape} differs from the image's working size"
                    f" {rgb.shape[:2]}"
                )
            image, target = scale_crop_flip(rgb, labels, params.scales, params.crop_size, fill, rng)
            images.append(image)
            targets.append(target)
        batch = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).to(device)
        labels = torch.from_numpy(np.stack(targets)).to(device)
        return segmentation_loss(model(batch), labels)

    run_training(model, optimizer, ids, params, batch_loss, model_path, checkpoint_path, history_path, run_key)
