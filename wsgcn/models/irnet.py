"""IRNet's inter-pixel relation network (IRNet ``net/resnet50_irn.py``) on any tapped backbone.

The backbone is frozen as published (eval mode, detached taps), or, with
``trainable_from``, fine-tuned from that stage on by the edge branch's loss (BatchNorm
still fixed; the displacement branch always reads detached taps). Two heads read its
taps ``x1..x5``:

* the edge (class-boundary) branch: five 1x1 conv (no bias) + GroupNorm(4) + ReLU layers
  to 32 channels each, brought to stride 4, concatenated (160 ch) and mapped to one
  boundary logit by ``fc_edge6`` (1x1 conv with bias); ``edge_kernel`` 3 (not published)
  makes the five convolutions 3x3 at their tap's resolution, so that the branch can
  compare neighbouring features;
* the displacement branch (only used for instance masks in IRNet; trained jointly here
  as published): 64/128/256/256/256 channels, merged at stride 8 and then stride 4, to
  a 2-channel displacement field.

A tap at stride s is resized by s/4 (edge) or s/8 (displacement x3..x5): bilinear
upsampling as published for s > target, 2x2 average pooling for EfficientNet's stride-2
``x1``. Upsampled maps are cropped to the reference tap's size as in IRNet.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from wsgcn.errors import ConfigError
from wsgcn.models.backbones import build_backbone, normalize, train_stages_from

TAP_KINDS = ("block_outputs", "expansions")
EDGE_KERNELS = (1, 3)


class _Rescale(nn.Module):
    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.factor > 1:
            return F.interpolate(x, scale_factor=self.factor, mode="bilinear", align_corners=False)
        if self.factor < 1:
            return F.avg_pool2d(x, round(1 / self.factor), ceil_mode=True)
        return x


def _unit(in_channels: int, out_channels: int, groups: int, factor: float = 1.0, kernel: int = 1) -> nn.Sequential:
    """k x k conv (no bias, same padding) -> GroupNorm -> resize -> ReLU (IRNet's layer order)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2, bias=False),
        nn.GroupNorm(groups, out_channels),
        _Rescale(factor),
        nn.ReLU(inplace=True),
    )


class IRNet(nn.Module):
    """Backbone + edge branch + displacement branch, all outputs at stride 4.

    ``trainable_from``: None keeps the whole backbone frozen (published); a stage index
    (0-based, see the backbone's ``stage_modules``) fine-tunes that stage and later ones.
    ``taps``: ``block_outputs`` (published) or ``expansions`` (EfficientNet's MBConv
    expansions for x1..x4, see :class:`~wsgcn.models.efficientnet_lite.EfficientNetLite`).
    ``edge_kernel``: the edge branch's convolution size, 1 (published) or 3.
    """

    def __init__(
        self,
        backbone: str,
        weights: str,
        taps: str,
        edge_kernel: int,
        trainable_from: int | None = None,
    ):
        super().__init__()
        if taps not in TAP_KINDS:
            raise ConfigError(f"irn.model.taps: {taps!r} is not one of {list(TAP_KINDS)}")
        if edge_kernel not in EDGE_KERNELS:
            raise ConfigError(f"irn.model.edge_kernel: {edge_kernel!r} is not one of {list(EDGE_KERNELS)}")
        self.backbone_name = backbone
        self.backbone = build_backbone(backbone, weights, expansion_taps=taps == "expansions").eval()
        train_stages_from(self.backbone, trainable_from)
        self.fine_tunes_backbone = bool(self.backbone_parameters())
        channels, strides = self.backbone.tap_channels, self.backbone.tap_strides
        self.edge_layers = nn.ModuleList(
            _unit(channels[tap], 32, 4, strides[tap] / 4, edge_kernel) for tap in ("x1", "x2", "x3", "x4", "x5")
        )
        self.fc_edge6 = nn.Conv2d(160, 1, 1, bias=True)
        self.fc_dp1 = _unit(channels["x1"], 64, 8, strides["x1"] / 4)
        self.fc_dp2 = _unit(channels["x2"], 128, 16, strides["x2"] / 4)
        self.fc_dp3 = _unit(channels["x3"], 256, 16, strides["x3"] / 8)
        self.fc_dp4 = _unit(channels["x4"], 256, 16, strides["x4"] / 8)
        self.fc_dp5 = _unit(channels["x5"], 256, 16, strides["x5"] / 8)
        self.fc_dp6 = _unit(768, 256, 16, 2.0)
        self.fc_dp7 = nn.Sequential(
            nn.Conv2d(448, 256, 1, bias=False),
            nn.GroupNorm(16, 256),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 2, 1, bias=False),
        )

    def train(self, mode: bool = True) -> IRNet:
        """Switch the heads' mode; the backbone always stays in eval mode."""
        super().train(mode)
        self.backbone.eval()
        return self

    def head_parameters(self) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """(edge-branch parameters, displacement-branch parameters)."""
        edge = [*self.edge_layers.parameters(), *self.fc_edge6.parameters()]
        displacement = [p for name, p in self.named_parameters() if name.startswith("fc_dp")]
        return edge, displacement

    def backbone_parameters(self) -> list[nn.Parameter]:
        """The fine-tuned backbone parameters (empty when the backbone is frozen)."""
        return [p for p in self.backbone.parameters() if p.requires_grad]

    def taps(self, normalized: torch.Tensor) -> dict[str, torch.Tensor]:
        """Backbone taps of normalised images (N, 3, H, W); detached unless fine-tuning."""
        with torch.set_grad_enabled(self.fine_tunes_backbone and torch.is_grad_enabled()):
            return self.backbone(normalized)

    def edge_features(self, taps: dict[str, torch.Tensor]) -> torch.Tensor:
        """The 160-channel edge features (N, 160, H/4, W/4), post-ReLU."""
        reference = self.edge_layers[1](taps["x2"])
        height, width = reference.shape[-2:]
        maps = [
            reference if index == 1 else layer(taps[tap])[..., :height, :width]
            for index, (layer, tap) in enumerate(zip(self.edge_layers, ("x1", "x2", "x3", "x4", "x5"), strict=False))
        ]
        return torch.cat(maps, dim=1)

    def displacement(self, taps: dict[str, torch.Tensor]) -> torch.Tensor:
        """The displacement field (N, 2, H/4, W/4), computed from detached taps."""
        taps = {name: tap.detach() for name, tap in taps.items()}
        dp1, dp2, dp3 = self.fc_dp1(taps["x1"]), self.fc_dp2(taps["x2"]), self.fc_dp3(taps["x3"])
        height, width = dp3.shape[-2:]
        dp4 = self.fc_dp4(taps["x4"])[..., :height, :width]
        dp5 = self.fc_dp5(taps["x5"])[..., :height, :width]
        up = self.fc_dp6(torch.cat([dp3, dp4, dp5], dim=1))[..., : dp2.shape[-2], : dp2.shape[-1]]
        dp1 = dp1[..., : dp2.shape[-2], : dp2.shape[-1]]
        return self.fc_dp7(torch.cat([dp1, dp2, up], dim=1))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(boundary logits, displacement) of 0..255 images (N, 3, H, W): (N, 1|2, H/4, W/4)."""
        taps = self.taps(normalize(images, self.backbone_name))
        return self.fc_edge6(self.edge_features(taps)), self.displacement(taps)

    def node_features(self, taps: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(boundary logits (N, 1, h, w), V (N, 160, h, w)): V is the edge features times
        fc_edge6's weights, i.e. each channel's contribution to the logit (WSGCN §5.2)."""
        features = self.edge_features(taps)
        weights = self.fc_edge6.weight.view(1, -1, 1, 1)
        return self.fc_edge6(features), features * weights
