import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_dataset, published
from PIL import Image

import wsgcn.cam.train as cam_train_module
import wsgcn.training as train_module
from wsgcn.cam.train import CamTrainParams, train_cam
from wsgcn.checkpoint import load_checkpoint
from wsgcn.data.dataset import Dataset
from wsgcn.data.demo import DEMO_CLASSES, write_demo_dataset
from wsgcn.errors import ConfigError
from wsgcn.models.cam_net import CamNet
from wsgcn.optim import make_poly_sgd, set_poly_lr
from wsgcn.steps.train_cam import train_stage

PARAMS = CamTrainParams.defaults(
    epochs=2, batch_size=4, lr=0.01, crop_size=64, resize_long=(56, 80), checkpoint_every=2, seed=3
)


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory) -> tuple[Dataset, list[str]]:
    root = tmp_path_factory.mktemp("demo")
    ids = write_demo_dataset(root, 12, seed=1, size=(64, 80))
    return make_dataset(root, DEMO_CLASSES), ids


def _train(dataset, ids, folder: Path, run_key: str = "k"):
    train_cam(
        dataset,
        ids,
        PARAMS,
        "efficientnet_lite2",
        "none",
        folder / "model.pt",
        folder / "ckpt.pt",
        folder / "history.csv",
        run_key,
        torch.device("cpu"),
    )
    return torch.load(folder / "model.pt", weights_only=True), (folder / "history.csv").read_text()


def test_resume_after_a_crash_gives_the_uninterrupted_result(tiny_dataset, tmp_path, monkeypatch):
    dataset, ids = tiny_dataset
    reference, reference_history = _train(dataset, ids, tmp_path / "straight")
    assert reference_history.count("\n") == 1 + 6  # header + 3 steps/epoch x 2 epochs

    calls = {"n": 0}

    def crash_at_step_five(optimizer, step, max_step, power):
        calls["n"] += 1
        if step == 5:
            raise KeyboardInterrupt("simulated kill")
        return set_poly_lr(optimizer, step, max_step, power)

    folder = tmp_path / "crashed"
    monkeypatch.setattr(train_module, "set_poly_lr", crash_at_step_five)
    with pytest.raises(KeyboardInterrupt):
        _train(dataset, ids, folder)
    assert not (folder / "model.pt").exists()
    assert load_checkpoint(folder / "ckpt.pt")["step"] == 4
    monkeypatch.setattr(train_module, "set_poly_lr", set_poly_lr)
    resumed, resumed_history = _train(dataset, ids, folder)
    assert resumed_history == reference_history
    assert resumed.keys() == reference.keys()
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)


def test_checkpoint_of_another_configuration_is_ignored(tiny_dataset, tmp_path, caplog):
    dataset, ids = tiny_dataset
    folder = tmp_path / "run"
    _train(dataset, ids, folder, run_key="first")
    with caplog.at_level("INFO"):
        _train(dataset, ids, folder, run_key="second")
    assert "belongs to another configuration" in caplog.text


def test_published_momentum_quirk():
    weight = torch.nn.Parameter(torch.zeros(2))
    quirk = make_poly_sgd([([weight], 0.1)], weight_decay=1e-4, momentum=0.9, published_momentum_quirk=True)
    assert quirk.param_groups[0]["momentum"] == 1e-4 and quirk.param_groups[0]["weight_decay"] == 1e-4
    fixed = make_poly_sgd([([weight], 0.1)], weight_decay=1e-4, momentum=0.9, published_momentum_quirk=False)
    assert fixed.param_groups[0]["momentum"] == 0.9
    assert set_poly_lr(fixed, 50, 100, 0.9) == pytest.approx(0.5**0.9)
    assert fixed.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**0.9)


def test_unknown_training_keys_and_oversized_batches(tiny_dataset, tmp_path):
    with pytest.raises(ConfigError, match=r"unknown keys \['epoch'\]"):
        CamTrainParams.from_config({"epoch": 3})
    dataset, ids = tiny_dataset
    with pytest.raises(ConfigError, match="batch_size"):
        train_cam(
            dataset,
            ids[:2],
            PARAMS,
            "efficientnet_lite2",
            "none",
            tmp_path / "m.pt",
            tmp_path / "c.pt",
            tmp_path / "h.csv",
            "k",
            torch.device("cpu"),
        )


@pytest.mark.parametrize("warmup_steps", [0, 3])
def test_classifier_warmup_keeps_the_backbone_still(tiny_dataset, tmp_path, monkeypatch, warmup_steps):
    dataset, ids = tiny_dataset
    initial = {}

    class RecordingCamNet(CamNet):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            initial.update({k: v.clone() for k, v in self.state_dict().items()})

    monkeypatch.setattr(cam_train_module, "CamNet", RecordingCamNet)
    params = dataclasses.replace(PARAMS, epochs=1, classifier_warmup_steps=warmup_steps)  # 3 steps
    train_cam(
        dataset,
        ids,
        params,
        "efficientnet_lite2",
        "none",
        tmp_path / "model.pt",
        tmp_path / "ckpt.pt",
        tmp_path / "history.csv",
        "k",
        torch.device("cpu"),
    )
    trained = torch.load(tmp_path / "model.pt", weights_only=True)
    assert not torch.equal(trained["classifier.weight"], initial["classifier.weight"])
    # the last blocks are trainable (IRNet freezes only the early stages)
    last_block = [k for k in trained if k.startswith("backbone.") and k.endswith(".weight") and "bn" not in k][-1]
    assert torch.equal(trained[last_block], initial[last_block]) == (warmup_steps == 3)


def test_the_stage_retrains_for_a_replaced_image_but_not_for_a_moved_folder(tmp_path, caplog):
    root = tmp_path / "data"
    ids = write_demo_dataset(root, 8, seed=2, size=(64, 80))
    train = published("cam.train", epochs=1, batch_size=4, lr=0.01, crop_size=64, resize_long=[56, 80], seed=3)
    folder = tmp_path / "run"

    def run_stage(data_root: Path) -> str:
        spec = {
            "dataset": {"name": "t", "kind": "voc", "root": str(data_root), "class_names": list(DEMO_CLASSES)},
            "backbone": {"name": "efficientnet_lite2", "weights": "none"},
            "train": train,
        }
        caplog.clear()
        with caplog.at_level("INFO"):
            train_stage(
                spec, ids, str(folder / "model.pt"), str(folder / "ckpt.pt"), str(folder / "history.csv"), "cpu"
            )
        return caplog.text

    def model() -> dict[str, torch.Tensor]:
        return torch.load(folder / "model.pt", weights_only=True)

    assert "resumed" not in run_stage(root)
    first = model()
    shutil.copytree(root, tmp_path / "moved")
    assert "resumed from" in run_stage(tmp_path / "moved")  # same images elsewhere: nothing to train
    assert all(torch.equal(first[k], v) for k, v in model().items())

    replaced = dataset_image(tmp_path / "moved", ids[0])
    Image.fromarray(255 - np.asarray(Image.open(replaced))).save(replaced, quality=95)
    assert "belongs to another configuration" in run_stage(tmp_path / "moved")
    assert not all(torch.equal(first[k], v) for k, v in model().items())


def dataset_image(root: Path, image_id: str) -> Path:
    return make_dataset(root, DEMO_CLASSES).image_path(image_id)
