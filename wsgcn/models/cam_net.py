"""The CAM classifier: backbone + bias-free 1x1 classifier (IRNet ``net/resnet50_cam.py``).

Training follows the IRNet recipe: early stages frozen, every BatchNorm fixed (running
statistics, also while training), global average pooling then the 1x1 classifier.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from wsgcn.models.backbones import backbone_spec, build_backbone, fix_batchnorm, normalize, train_stages_from


class CamNet(nn.Module):
    """Backbone features (stride 16) -> 1x1 conv without bias -> one logit per class."""

    def __init__(self, backbone: str, num_foreground: int, weights: str):
        super().__init__()
        self.backbone_name = backbone
        self.backbone = build_backbone(backbone, weights)
        self.classifier = nn.Conv2d(self.backbone.tap_channels["x5"], num_foreground, 1, bias=False)
        train_stages_from(self.backbone, backbone_spec(backbone).cam_trainable_from)

    def train(self, mode: bool = True) -> CamNet:
        """Switch mode, but keep every BatchNorm in eval mode (fixed BN)."""
        super().train(mode)
        fix_batchnorm(self)
        return self

    def parameter_groups(self) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """(trainable backbone parameters, classifier parameters)."""
        backbone = [p for p in self.backbone.parameters() if p.requires_grad]
        return backbone, list(self.classifier.parameters())

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """uint8-range images (N, 3, H, W) -> final feature map (N, C, H/16, W/16)."""
        return self.backbone(normalize(images, self.backbone_name))["x5"]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits (N, num_foreground)."""
        pooled = self.features(images).mean(dim=(2, 3), keepdim=True)
        return self.classifier(pooled).flatten(1)

    def class_maps(self, images: torch.Tensor, classes: list[int]) -> torch.Tensor:
        """ReLU(classifier(features)) for ``classes`` only: (N, len(classes), H/16, W/16)."""
        weight = self.classifier.weight[classes]
        return F.relu(F.conv2d(self.features(images), weight))
