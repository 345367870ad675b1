"""Training the CAM classifier on image-level labels (IRNet ``step/train_cam.py``).

Multilabel soft-margin loss, SGD with poly decay (backbone lr, classifier lr x10), the
published no-momentum quirk as an option, and an optional classifier-only warm-up (not
published: the backbone's lr is 0 for the first steps). Checkpoints are written every
``checkpoint_every`` steps and at the end of each epoch; a rerun with the same run key
resumes from the last one and gives the same final weights as an uninterrupted run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from wsgcn.cam.augment import augment
from wsgcn.data.dataset import Dataset
from wsgcn.data.labels import multi_hot
from wsgcn.errors import InputError
from wsgcn.models.backbones import backbone_spec
from wsgcn.models.cam_net import CamNet
from wsgcn.runtime import derived_seed, seed_all
from wsgcn.training import EpochTrainParams, run_training


@dataclass(frozen=True)
class CamTrainParams(EpochTrainParams):
    """Hyperparameters of CAM training (config ``cam.train``)."""

    section: ClassVar[str] = "cam.train"

    classifier_lr_mult: float
    classifier_warmup_steps: int
    resize_long: tuple[int, int]

    def group_lr_scale(self, step: int, group: int) -> float:
        """The backbone (group 0) stands still for the first ``classifier_warmup_steps`` steps."""
        return 0.0 if group == 0 and step < self.classifier_warmup_steps else 1.0


def _load_batch(
    dataset: Dataset,
    ids: Sequence[str],
    params: CamTrainParams,
    fill: tuple[float, float, float],
    seed: int,
    epoch: int,
) -> torch.Tensor:
    crops = []
    for image_id in ids:
        rng = np.random.default_rng(derived_seed(seed, "augment", epoch, image_id))
        crops.append(augment(dataset.load_image(image_id), params.resize_long, params.crop_size, fill, rng))
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
    labels = {image_id: multi_hot(dataset.image_labels(image_id), len(dataset.class_names)) for image_id in ids}
    if not any(vector.any() for vector in labels.values()):
        raise InputError("none of the training images has a foreground label")

    seed_all(params.seed)
    model = CamNet(backbone, len(dataset.class_names), backbone_weights).to(device)
    backbone_params, classifier_params = model.parameter_groups()
    optimizer = params.poly_sgd([(backbone_params, 1.0), (classifier_params, params.classifier_lr_mult)])
    fill = tuple(255.0 * m for m in backbone_spec(backbone).mean)

    def batch_loss(batch_ids: list[str], epoch: int) -> torch.Tensor:
        images = _load_batch(dataset, batch_ids, params, fill, params.seed, epoch).to(device)
        targets = torch.from_numpy(np.stack([labels[i] for i in batch_ids])).to(device)
        return F.multilabel_soft_margin_loss(model(images), targets)

    run_training(model, optimizer, ids, params, batch_loss, model_path, checkpoint_path, history_path, run_key)
