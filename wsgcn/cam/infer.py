"""Multi-scale + flip CAM inference (IRNet ``step/make_cam.py``).

For every scale s the image is bicubic-resized (s = 1 untouched), run as the batch
[image, flipped image], and the two class maps are *summed* (the flipped one flipped
back). The per-scale maps are bilinearly resized (align_corners=False) and summed into

* ``cam``: stride 4, shape (K, ceil(H/4), ceil(W/4));
* ``high_res``: full resolution, shape (K, H, W), resized to the stride-16 padded size
  (16 ceil(H/16), 16 ceil(W/16)) and cropped to the top-left H x W.

Only the image's classes (``keys``) are computed, and every channel is divided by its
own maximum + 1e-5, so values lie in [0, 1]. Not published: the normalised maps may be
raised to a ``power`` (1 = published), which maps a backbone's broader CAMs onto the
published thresholds downstream (see ``cam.infer.power`` in the config).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from wsgcn.cam.augment import resize_bicubic
from wsgcn.models.cam_net import CamNet

NORMALISATION_EPS = 1e-5


def normalise_per_class(maps: torch.Tensor) -> torch.Tensor:
    """Divide each channel of (K, H, W) by its spatial max + 1e-5."""
    if maps.shape[0] == 0:
        return maps
    peak = maps.flatten(1).max(dim=1).values.view(-1, 1, 1)
    return maps / (peak + NORMALISATION_EPS)


@torch.no_grad()
def multiscale_cam(
    model: CamNet,
    rgb: np.ndarray,
    keys: Sequence[int],
    scales: Sequence[float],
    flip: bool,
    power: float,
) -> tuple[np.ndarray, np.ndarray]:
    """CAMs of ``rgb`` (H, W, 3 uint8) for ``keys``: (cam, high_res) float32 arrays.

    ``cam`` is (K, ceil(H/4), ceil(W/4)), ``high_res`` is (K, H, W); both normalised,
    then raised to ``power``.
    """
    height, width = rgb.shape[:2]
    device = next(model.parameters()).device
    strided = (math.ceil(height / 4), math.ceil(width / 4))
    padded = (16 * math.ceil(height / 16), 16 * math.ceil(width / 16))
    cam = torch.zeros((len(keys), *strided), device=device)
    high_res = torch.zeros((len(keys), *padded), device=device)
    if keys:
        for scale in scales:
            size = (round(height * scale), round(width * scale))
            scaled = torch.from_numpy(resize_bicubic(rgb, *size).copy()).permute(2, 0, 1)[None].to(device)
            batch = torch.cat([scaled, scaled.flip(-1)]) if flip else scaled
            maps = model.class_maps(batch, list(keys))
            summed = maps[0] + maps[1].flip(-1) if flip else maps[0]
            cam += F.interpolate(summed[None], strided, mode="bilinear", align_corners=False)[0]
            high_res += F.interpolate(summed[None], padded, mode="bilinear", align_corners=False)[0]
    cam = normalise_per_class(cam) ** power
    high_res = normalise_per_class(high_res[:, :height, :width]) ** power
    return cam.cpu().numpy(), high_res.cpu().numpy()
