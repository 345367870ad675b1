"""Training IRNet's boundary and displacement branches on IR labels (IRNet ``step/train_irn.py``).

Each sample: random rescale (image bicubic, label nearest), horizontal flip, random
square crop (image padded with the backbone's mean colour, label with 255), label
reduced x0.25 (nearest). Pairs within ``radius`` (``irn.train.radius``, at stride 4) get labels from the
IR label map; the loss is (pos + neg) / 2 + (dp_fg + dp_bg) / 2 of IRNet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from PIL import Image

from wsgcn.affinity.paths import pair_destinations, path_affinities, path_directions
from wsgcn.data.classes import IGNORE_LABEL
from wsgcn.data.dataset import Dataset
from wsgcn.errors import ConfigError
from wsgcn.io.label_png import read_label_png
from wsgcn.models.backbones import backbone_spec
from wsgcn.models.irnet import IRNet
from wsgcn.runtime import derived_seed, seed_all
from wsgcn.training import EpochTrainParams, run_training

EPSILON = 1e-5


@dataclass(frozen=True)
class IrnTrainParams(EpochTrainParams):
    """Hyperparameters of IRNet training (config ``irn.train``)."""

    section: ClassVar[str] = "irn.train"

    epochs: int
    batch_size: int
    displacement_lr_mult: float
    scale_range: tuple[float, float]
    radius: int
    backbone_trainable_from: int | None
    backbone_lr_mult: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> IrnTrainParams:
        params = super().from_config(config)
        if params.crop_size % 4 or params.crop_size // 4 <= 2 * (params.radius - 1):
            raise ConfigError(
                f"irn.train.crop_size: {params.crop_size} must be a multiple of 4 larger than 8 * (radius - 1)"
                f" = {8 * (params.radius - 1)} for radius {params.radius}"
            )
        return params


def augment_pair(
    rgb: np.ndarray,
    label: np.ndarray,
    params: IrnTrainParams,
    fill: tuple[float, float, float],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """(crop (C, C, 3) float32 in 0..255, label (C/4, C/4) int64) for crop size C."""
    scale = rng.uniform(*params.scale_range)
    height, width = label.shape
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.BICUBIC))
    label = np.asarray(Image.fromarray(label).resize(size, Image.NEAREST))
    if rng.random() < 0.5:
        rgb, label = rgb[:, ::-1], label[:, ::-1]
    crop = params.crop_size
    image_out = np.empty((crop, crop, 3), np.float32)
    image_out[...] = fill
    label_out = np.full((crop, crop), IGNORE_LABEL, np.uint8)

    def window(length: int) -> tuple[int, int, int]:
        if length > crop:
            return int(rng.integers(0, length - crop + 1)), 0, crop
        return 0, int(rng.integers(0, crop - length + 1)), length

    src_y, dst_y, span_y = window(label.shape[0])
    src_x, dst_x, span_x = window(label.shape[1])
    image_out[dst_y : dst_y + span_y, dst_x : dst_x + span_x] = rgb[src_y : src_y + span_y, src_x : src_x + span_x]
    label_out[dst_y : dst_y + span_y, dst_x : dst_x + span_x] = label[src_y : src_y + span_y, src_x : src_x + span_x]
    small = np.asarray(Image.fromarray(label_out).resize((crop // 4, crop // 4), Image.NEAREST))
    return image_out, small.astype(np.int64)


def pair_labels(labels: torch.Tensor, radius: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(bg_pos, fg_pos, neg) float masks (N, D, rows, columns) of a label batch (N, h, w).

    A pair counts only if both labels are < 21 (255 excluded); bg_pos: both 0; fg_pos:
    the same class > 0; neg: different labels (background vs class included).
    """
    source, destination = pair_destinations(labels, radius)
    valid = (source < 21) & (destination < 21)
    equal = source == destination
    bg_pos = valid & equal & (source == 0)
    fg_pos = valid & equal & (source > 0)
    negative = valid & ~equal
    return bg_pos.float(), fg_pos.float(), negative.float()


def irn_loss(
    edge_logits: torch.Tensor, displacement: torch.Tensor, labels: torch.Tensor, radius: int
) -> tuple[torch.Tensor, dict[str, float]]:
    """IRNet's affinity + displacement loss for logits (N, 1, h, w), displacement (N, 2, h, w), labels (N, h, w)."""
    bg_pos, fg_pos, negative = pair_labels(labels, radius)
    affinity = path_affinities(torch.sigmoid(edge_logits[:, 0]), radius)
    pos_loss = -torch.log(affinity + EPSILON)
    neg_loss = -torch.log(1.0 + EPSILON - affinity)
    bg_term = (bg_pos * pos_loss).sum() / (bg_pos.sum() + EPSILON)
    fg_term = (fg_pos * pos_loss).sum() / (fg_pos.sum() + EPSILON)
    neg_term = (negative * neg_loss).sum() / (negative.sum() + EPSILON)

    source, destination = pair_destinations(displacement, radius)  # (N, 2, 1, r, c), (N, 2, D, r, c)
    pair = source - destination  # IRNet: |D(src) - D(dst) - delta| for a pair at offset delta = (dy, dx)
    offsets = torch.tensor(path_directions(radius), dtype=pair.dtype, device=pair.device).T[None, :, :, None, None]
    dp_fg = ((pair - offsets).abs() * fg_pos[:, None]).sum() / (2 * fg_pos.sum() + EPSILON)
    dp_bg = (pair.abs() * bg_pos[:, None]).sum() / (2 * bg_pos.sum() + EPSILON)
    total = (bg_term / 2 + fg_term / 2 + neg_term) / 2 + (dp_fg + dp_bg) / 2
    parts = {
        "pos_bg": bg_term.item(),
        "pos_fg": fg_term.item(),
        "neg": neg_term.item(),
        "dp_fg": dp_fg.item(),
        "dp_bg": dp_bg.item(),
    }
    return total, parts


def train_irn(
    dataset: Dataset,
    ids: Sequence[str],
    ir_label_path: Any,
    params: IrnTrainParams,
    backbone: str,
    backbone_weights: str,
    model_options: Mapping[str, Any],
    model_path: str | Path,
    checkpoint_path: str | Path,
    history_path: str | Path,
    run_key: str,
    device: torch.device,
) -> None:
    """Train :class:`IRNet` heads on ``ids`` with IR labels at ``ir_label_path(id)``; save the
    state dict. ``model_options``: IRNet's keyword options (the ``irn.model`` config section)."""
    seed_all(params.seed)
    model = IRNet(backbone, backbone_weights, trainable_from=params.backbone_trainable_from, **model_options).to(device)
    edge_params, displacement_params = model.head_parameters()
    groups = [(edge_params, 1.0), (displacement_params, params.displacement_lr_mult)]
    backbone_params = model.backbone_parameters()
    if backbone_params:
        groups.append((backbone_params, params.backbone_lr_mult))
    optimizer = params.poly_sgd(groups)
    fill = tuple(255.0 * m for m in backbone_spec(backbone).mean)

    def batch_loss(batch_ids: list[str], epoch: int) -> torch.Tensor:
        images, labels = [], []
        for image_id in batch_ids:
            rng = np.random.default_rng(derived_seed(params.seed, "irn-augment", epoch, image_id))
            rgb = dataset.load_image(image_id)
            image, label = augment_pair(rgb, read_label_png(ir_label_path(image_id)), params, fill, rng)
            images.append(image)
            labels.append(label)
        batch = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).to(device)
        edge_logits, displacement = model(batch)
        loss, _ = irn_loss(edge_logits, displacement, torch.from_numpy(np.stack(labels)).to(device), params.radius)
        return loss

    run_training(model, optimizer, ids, params, batch_loss, model_path, checkpoint_path, history_path, run_key)
