"""Pickled .npy files (IRNet's CAM format) are read without running code they name."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from wsgcn.errors import InputError
from wsgcn.io.safe_pickle import read_npy


class _Command:
    """Pickles as a call of os.system: what a hostile file would hold."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class _StorageBytes:
    """Pickles as torch's storage loader applied to ``data``, as a tensor's storage does."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __reduce__(self):
        return torch.storage._load_from_bytes, (self.data,)


def test_irnet_cam_file_round_trips(tmp_path: Path):
    # as IRNet's make_cam writes it: keys and the strided cam are torch tensors, high_res numpy
    label = torch.tensor([0.0, 1.0, 0.0, 0.0, 1.0])
    keys = torch.nonzero(label)[:, 0]
    cam = torch.rand(2, 5, 6)
    high_res = np.random.default_rng(0).random((2, 17, 21)).astype(np.float32)
    path = tmp_path / "2007_000032.npy"
    np.save(path, {"keys": keys, "cam": cam, "high_res": high_res})

    loaded = read_npy(path)

    assert set(loaded) == {"keys", "cam", "high_res"}
    assert loaded["keys"].tolist() == [1, 4]
    assert torch.equal(loaded["cam"], cam)
    assert loaded["high_res"].dtype == np.float32 and np.array_equal(loaded["high_res"], high_res)


def test_plain_array_is_read_without_unpickling(tmp_path: Path):
    path = tmp_path / "a.npy"
    np.save(path, np.arange(6, dtype=np.float32).reshape(1, 2, 3))
    assert read_npy(path).tolist() == [[[0, 1, 2], [3, 4, 5]]]


def test_a_pickle_that_calls_os_system_is_refused_and_runs_nothing(tmp_path: Path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.npy"
    np.save(path, {"keys": np.array([0]), "high_res": _Command(f"touch {marker}")})

    # the file is hostile: numpy's own pickle loading runs the command
    np.load(path, allow_pickle=True)
    assert marker.exists()
    marker.unlink()

    with pytest.raises(InputError, match=r"evil\.npy: refused to unpickle (posix|os)\.system"):
        read_npy(path)
    assert not marker.exists()


def test_a_hostile_tensor_storage_is_refused_and_runs_nothing(tmp_path: Path):
    marker = tmp_path / "ran"
    archive = io.BytesIO()
    torch.save(_Command(f"touch {marker}"), archive)
    path = tmp_path / "evil_storage.npy"
    np.save(path, {"cam": _StorageBytes(archive.getvalue())})

    pickle.loads(pickle.dumps(_StorageBytes(archive.getvalue())))  # torch's own loader runs it
    assert marker.exists()
    marker.unlink()

    with pytest.raises(InputError, match=r"evil_storage\.npy: refused a tensor storage that names other code"):
        read_npy(path)
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"", b"not an npy file at all", b"\x93NUMPY\x01\x00garbage"])
def test_unreadable_files_are_named(tmp_path: Path, content: bytes):
    path = tmp_path / "bad.npy"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"bad\.npy: not a readable \.npy file"):
        read_npy(path)


def test_a_missing_file_is_named(tmp_path: Path):
    with pytest.raises(InputError, match=r"missing\.npy: file does not exist"):
        read_npy(tmp_path / "missing.npy")
