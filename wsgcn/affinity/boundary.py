"""Boundary map B and node features V of one image (IRNet ``EdgeDisplacement``, WSGCN §5.2)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from wsgcn.models.backbones import normalize
from wsgcn.models.irnet import IRNet


@torch.no_grad()
def boundary_and_features(model: IRNet, rgb: np.ndarray, pad_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(B (h, w) float32 in [0, 1], V (160, h, w) float32) at stride 4, h = ceil(H / 4).

    The image and its mirror image are normalised and zero-padded at the bottom and
    right to ``pad_size`` (or the next multiple of 16 of a larger image), as IRNet pads
    to 512. B = sigmoid of the flip-averaged logits; V = flip-averaged edge features
    times fc_edge6's weights.
    """
    device = next(model.parameters()).device
    height, width = rgb.shape[:2]
    image = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float()[None].to(device)
    batch = normalize(torch.cat([image, image.flip(-1)]), model.backbone_name)
    padded_h = max(pad_size, 16 * math.ceil(height / 16))
    padded_w = max(pad_size, 16 * math.ceil(width / 16))
    batch = F.pad(batch, (0, padded_w - width, 0, padded_h - height))
    logits, features = model.node_features(model.taps(batch))
    h, w = math.ceil(height / 4), math.ceil(width / 4)
    logits, features = logits[..., :h, :w], features[..., :h, :w]
    boundary = torch.sigmoid(logits[0, 0] / 2 + logits[1, 0].flip(-1) / 2)
    node_features = features[0] / 2 + features[1].flip(-1) / 2
    return boundary.cpu().numpy().astype(np.float32), node_features.cpu().numpy().astype(np.float32)
