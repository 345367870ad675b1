from pathlib import Path

import pytest
import torch

from wsgcn.errors import ConfigError, InputError
from wsgcn.models.backbones import build_backbone, normalize
from wsgcn.models.cam_net import CamNet


def test_lite2_imagenet_weights_load_offline_and_give_stride16_taps():
    model = build_backbone("efficientnet_lite2", "imagenet").eval()
    with torch.no_grad():
        taps = model(torch.zeros(1, 3, 96, 128))
    shapes = {name: tuple(t.shape[1:]) for name, t in taps.items()}
    assert shapes == {
        "x1": (16, 48, 64),
        "x2": (24, 24, 32),
        "x3": (48, 12, 16),
        "x4": (120, 6, 8),
        "x5": (1280, 6, 8),
    }
    assert model.stem_bn.running_var.abs().sum() > 0 and not torch.allclose(model.stem_bn.running_mean, torch.zeros(32))


def test_lite2_expansion_taps_are_the_next_blocks_relu6_expansions():
    torch.manual_seed(0)
    plain = build_backbone("efficientnet_lite2", "none").eval()
    expanded = build_backbone("efficientnet_lite2", "none", expansion_taps=True).eval()
    expanded.load_state_dict(plain.state_dict())
    images = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        outputs, taps = plain(images), expanded(images)
        for name, stage in {"x1": 0, "x2": 1, "x3": 2, "x4": 4}.items():
            block = plain.blocks[plain.stage_ends[stage] + 1]
            by_hand = (block.expand_bn(block.expand_conv(outputs[name]))).clamp(0, 6)
            assert torch.allclose(taps[name], by_hand, atol=1e-5), name
            assert taps[name].shape[1] == expanded.tap_channels[name] == 6 * plain.tap_channels[name]
    assert torch.equal(taps["x5"], outputs["x5"])


def test_resnet_has_no_expansion_taps():
    with pytest.raises(ConfigError, match="resnet50 has no expansion taps"):
        build_backbone("resnet50", "none", expansion_taps=True)


@pytest.mark.parametrize("name, x5_channels", [("resnet50", 2048), ("resnet101", 2048)])
def test_resnet_stride_layout(name, x5_channels):
    model = build_backbone(name, "none").eval()
    with torch.no_grad():
        taps = model(torch.zeros(1, 3, 64, 96))
    assert {n: tuple(t.shape[2:]) for n, t in taps.items()} == {
        "x1": (16, 24),
        "x2": (16, 24),
        "x3": (8, 12),
        "x4": (4, 6),
        "x5": (4, 6),
    }
    assert taps["x5"].shape[1] == x5_channels


def test_missing_weights_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(InputError, match=r"nope.pth: weights file does not exist"):
        build_backbone("resnet50", str(tmp_path / "nope.pth"))


def test_mismatched_weights_file_is_rejected(tmp_path: Path):
    torch.save({"conv.weight": torch.zeros(3)}, tmp_path / "other.pth")
    with pytest.raises(InputError, match="does not match backbone resnet50"):
        build_backbone("resnet50", str(tmp_path / "other.pth"))


def test_local_weights_file_loads(tmp_path: Path):
    source = build_backbone("resnet50", "none")
    state = {f"module.{k}": v for k, v in source.state_dict().items()}
    state["fc.weight"] = torch.zeros(1000, 2048)
    torch.save(state, tmp_path / "r50.pth")
    loaded = build_backbone("resnet50", str(tmp_path / "r50.pth"))
    assert torch.equal(loaded.conv1.weight, source.conv1.weight)


def test_unknown_backbone():
    with pytest.raises(ConfigError, match="unknown backbone 'vgg'"):
        build_backbone("vgg", "none")


def test_normalisation_ranges():
    white = torch.full((1, 3, 2, 2), 255, dtype=torch.uint8)
    assert torch.allclose(normalize(white, "efficientnet_lite2"), torch.ones(1, 3, 2, 2))
    assert torch.allclose(normalize(torch.zeros(1, 3, 2, 2), "efficientnet_lite2"), -torch.ones(1, 3, 2, 2))


def test_cam_net_freezes_early_stages_and_fixes_batchnorm():
    net = CamNet("resnet50", 20, weights="none")
    assert not any(p.requires_grad for p in net.backbone.layer2.parameters())
    assert not net.backbone.conv1.weight.requires_grad
    assert all(p.requires_grad for p in net.backbone.layer3.parameters())
    assert net.classifier.bias is None and net.classifier.weight.requires_grad
    net.train()
    assert net.training and not net.backbone.layer4[0].bn1.training
    lite = CamNet("efficientnet_lite2", 4, weights="none")
    trainable = [n for n, p in lite.backbone.named_parameters() if p.requires_grad]
    # stage 4 (stride 16, blocks 7..) onwards is trained; stem and stages 1-3 (blocks 0..6) are frozen
    assert trainable and all(n.startswith("head") or int(n.split(".")[1]) >= 7 for n in trainable)
    assert not lite.backbone.blocks[6].project_conv.weight.requires_grad
    assert lite.backbone.blocks[7].project_conv.weight.requires_grad
