"""DeepLabv2: a dilated backbone, the ASPP head, and the optional multi-scale (MSC) wrapper.

As johnnylu305/deeplab-imagenet-pytorch's ``DeepLabPy_ResNet101`` (algorithm.md §8a):
torchvision ResNet-101 at output stride 8, four 3x3 ASPP convolutions at rates
6/12/18/24 summed, initialised N(0, 0.01). With ``msc_scales`` the network also runs on
bilinearly down-scaled inputs; in training every scale's logits and their element-wise
max are returned (each gets a loss), in evaluation only the max.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from wsgcn.models.backbones import backbone_spec, build_backbone, fix_batchnorm

STEM_CONVS = ("conv1", "stem_conv")
"""Names of the backbones' first convolutions, which the published recipe does not train."""


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling (DeepLabv2): parallel dilated 3x3 convs, summed."""

    def __init__(self, in_channels: int, num_classes: int, rates: Sequence[int]):
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Conv2d(in_channels, num_classes, 3, padding=rate, dilation=rate, bias=True) for rate in rates
        )
        for branch in self.branches:
            nn.init.normal_(branch.weight, mean=0.0, std=0.01)
            nn.init.zeros_(branch.bias)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(N, C_in, h, w) -> (N, num_classes, h, w)."""
        return torch.stack([branch(features) for branch in self.branches]).sum(dim=0)


class DeepLabV2(nn.Module):
    """Backbone (final tap ``x5``) + ASPP; inputs are uint8-range RGB (N, 3, H, W).

    ``mean``/``std`` (RGB in [0, 1]) normalise the input; ``None`` uses the backbone's
    ImageNet normalisation. With ``freeze_bn`` every BatchNorm stays in eval mode in
    training too (fixed statistics).
    """

    def __init__(
        self,
        backbone: str,
        num_classes: int,
        weights: str,
        output_stride: int,
        rates: Sequence[int],
        msc_scales: Sequence[float],
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        freeze_bn: bool = False,
    ):
        super().__init__()
        spec = backbone_spec(backbone)
        self.backbone = build_backbone(backbone, weights, output_stride)
        self.aspp = ASPP(self.backbone.tap_channels["x5"], num_classes, rates)
        self.msc_scales = tuple(msc_scales)
        self.freeze_bn = freeze_bn
        self.register_buffer("mean", torch.tensor(mean if mean is not None else spec.mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std if std is not None else spec.std).view(1, 3, 1, 1))

    def train(self, mode: bool = True) -> DeepLabV2:
        """Switch mode; with ``freeze_bn`` BatchNorm stays in eval mode."""
        super().train(mode)
        if self.freeze_bn:
            fix_batchnorm(self)
        return self

    def single_scale(self, normalised: torch.Tensor) -> torch.Tensor:
        """Logits (N, num_classes, ceil(H/os), ceil(W/os)) of a normalised batch."""
        return self.aspp(self.backbone(normalised)["x5"])

    def forward(self, images: torch.Tensor) -> list[torch.Tensor] | torch.Tensor:
        """Training: the list of logits [full scale, *msc scales, max]; evaluation: the max.

        Without MSC, training returns [logits] and evaluation the logits.
        """
        x = (images.float() / 255.0 - self.mean) / self.std
        logits = self.single_scale(x)
        if not self.msc_scales:
            return [logits] if self.training else logits
        size = logits.shape[-2:]
        pyramid = [
            self.single_scale(F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False))
            for scale in self.msc_scales
        ]
        resized = [F.interpolate(p, size=size, mode="bilinear", align_corners=False) for p in pyramid]
        fused = torch.stack([logits, *resized]).amax(dim=0)
        return [logits, *pyramid, fused] if self.training else fused

    def parameter_groups(self) -> tuple[list[nn.Parameter], list[nn.Parameter], list[nn.Parameter]]:
        """(backbone conv weights, ASPP weights, ASPP biases): the parameters the recipe trains.

        The stem convolution and every BatchNorm's affine parameters are not trained
        (their ``requires_grad`` is switched off here).
        """
        backbone_weights = []
        for name, module in self.backbone.named_modules():
            for parameter in module.parameters(recurse=False):
                parameter.requires_grad_(False)
            if isinstance(module, nn.Conv2d) and name not in STEM_CONVS:
                module.weight.requires_grad_(True)
                backbone_weights.append(module.weight)
        aspp_weights = [branch.weight for branch in self.aspp.branches]
        aspp_biases = [branch.bias for branch in self.aspp.branches]
        return backbone_weights, aspp_weights, aspp_biases


def segmenter_logits(model: DeepLabV2, rgb: torch.Tensor) -> torch.Tensor:
    """The logits (num_classes, h, w) at the output stride of one image (3, H, W)
    uint8-range, model in eval mode."""
    logits = model(rgb[None])
    assert isinstance(logits, torch.Tensor)
    return logits[0]


def logits_probabilities(logits: torch.Tensor, image_size: tuple[int, int]) -> torch.Tensor:
    """Class probabilities (num_classes, H, W): the logits (num_classes, h, w) bilinearly
    resized to ``image_size`` (H, W), then soft-maxed."""
    resized = F.interpolate(logits[None], size=image_size, mode="bilinear", align_corners=False)
    return torch.softmax(resized[0], dim=0)
