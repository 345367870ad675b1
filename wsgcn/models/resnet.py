"""ResNet-50/101 feature extractors in the IRNet and DeepLabv2 stride layouts.

torchvision's definitions with the 3x3/2 max-pool kept.

* Output stride 16 (IRNet ``net/resnet50.py``): strides (conv1, layer2, layer3, layer4) =
  (2, 2, 2, 1), layer4 not dilated.
* Output stride 8 (DeepLabv2): layer3 and layer4 at stride 1, their 3x3 convolutions
  dilated by 2 and 4 except in each layer's first block, which keeps dilation 1.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models import resnet50, resnet101


class ResNetFeatures(nn.Module):
    """ResNet trunk returning the taps ``x1..x5`` at strides 4, 4, 8, 16, 16 (OS 16) or 4, 4, 8, 8, 8 (OS 8).

    ``x1`` is after conv1 + BN + ReLU + max-pool (64 ch), ``x2..x5`` are layer1..layer4
    (256, 512, 1024, 2048 ch).
    """

    def __init__(self, depth: int = 50, output_stride: int = 16):
        super().__init__()
        if depth not in (50, 101):
            raise ValueError("ResNet depth must be 50 or 101")
        if output_stride not in (8, 16):
            raise ValueError("ResNet output stride must be 8 or 16")
        trunk = resnet50(weights=None) if depth == 50 else resnet101(weights=None)
        unstrided = [(trunk.layer4, 1)] if output_stride == 16 else [(trunk.layer3, 2), (trunk.layer4, 4)]
        for layer, dilation in unstrided:
            layer[0].conv2.stride = (1, 1)
            layer[0].downsample[0].stride = (1, 1)
            for block in layer[1:]:
                block.conv2.dilation = block.conv2.padding = (dilation, dilation)
        self.conv1, self.bn1, self.relu, self.maxpool = trunk.conv1, trunk.bn1, trunk.relu, trunk.maxpool
        self.layer1, self.layer2, self.layer3, self.layer4 = trunk.layer1, trunk.layer2, trunk.layer3, trunk.layer4
        self.tap_channels = {"x1": 64, "x2": 256, "x3": 512, "x4": 1024, "x5": 2048}
        self.tap_strides = {"x1": 4, "x2": 4, "x3": 8, "x4": min(16, output_stride), "x5": output_stride}

    def stage_modules(self, first_stage: int) -> list[nn.Module]:
        """Modules of stages ``first_stage`` onwards (0: stem+layer1, 1: layer2, 2: layer3, 3: layer4)."""
        stages: list[list[nn.Module]] = [
            [self.conv1, self.bn1, self.layer1],
            [self.layer2],
            [self.layer3],
            [self.layer4],
        ]
        return [module for stage in stages[first_stage:] for module in stage]

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        x1 = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x2 = self.layer1(x1)
        x3 = self.layer2(x2)
        x4 = self.layer3(x3)
        x5 = self.layer4(x4)
        return {"x1": x1, "x2": x2, "x3": x3, "x4": x4, "x5": x5}
