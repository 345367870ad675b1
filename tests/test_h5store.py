import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from wsgcn.errors import InputError
from wsgcn.io.atomic import atomic_path, write_text_atomic
from wsgcn.io.h5store import INPUT_KEY, read_arrays, stored_key, write_arrays
from wsgcn.io.label_png import write_label_png
from wsgcn.io.layout import label_path, read_stored_scores, scores_path


def test_round_trip_preserves_arrays_and_attributes(tmp_path: Path):
    rng = np.random.default_rng(1)
    arrays = {
        "cam": rng.random((2, 30, 40)).astype(np.float16),
        "keys": np.array([3, 14], dtype=np.int16),
        "empty": np.zeros((0, 5, 5), dtype=np.float16),
    }
    path = tmp_path / "sub" / "x.h5"
    write_arrays(path, arrays, {INPUT_KEY: "abc", "height": 117})
    loaded, attrs = read_arrays(path)
    assert set(loaded) == set(arrays)
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype and np.array_equal(loaded[name], array)
    assert attrs["height"] == 117 and stored_key(path) == "abc"
    only, _ = read_arrays(path, ("keys",))
    assert list(only) == ["keys"]


def test_failed_write_leaves_previous_file_and_no_temporaries(tmp_path: Path):
    path = tmp_path / "x.h5"
    write_arrays(path, {"a": np.ones(3)}, {INPUT_KEY: "old"})
    with pytest.raises(TypeError):
        write_arrays(path, {"a": np.ones(3)}, {INPUT_KEY: "new", "bad": object()})
    assert stored_key(path) == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.h5"]


def test_atomic_text_write_is_all_or_nothing(tmp_path: Path):
    path = tmp_path / "t.txt"
    write_text_atomic(path, "first")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert path.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_next_write_removes_temporaries_of_a_killed_write(tmp_path: Path):
    path, other = tmp_path / "x.h5", tmp_path / "y.h5"
    killed_writer = (
        "import os, signal, sys\n"
        "from wsgcn.io.atomic import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n"
        "    tmp.write_bytes(b'half')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    for target in (path, other):
        run = subprocess.run([sys.executable, "-c", killed_writer, str(target)])
        assert run.returncode == -signal.SIGKILL
    assert len(list(tmp_path.glob(".x.h5.*.tmp"))) == 1
    write_arrays(path, {"a": np.ones(3)}, {INPUT_KEY: "new"})
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left[1:] == ["x.h5"] and left[0].startswith(".y.h5."), left
    assert stored_key(path) == "new"


def test_missing_or_corrupt_files(tmp_path: Path):
    assert stored_key(tmp_path / "none.h5") is None
    (tmp_path / "bad.h5").write_bytes(b"garbage")
    assert stored_key(tmp_path / "bad.h5") is None
    with pytest.raises(InputError, match=re.escape("bad.h5: cannot read HDF5")):
        read_arrays(tmp_path / "bad.h5")
    with pytest.raises(InputError, match=re.escape("none.h5: result file does not exist")):
        read_arrays(tmp_path / "none.h5")
    write_arrays(tmp_path / "ok.h5", {"a": np.ones(2)}, {})
    with pytest.raises(InputError, match=r"missing datasets \['b'\]"):
        read_arrays(tmp_path / "ok.h5", ("b",))


def test_stored_scores_must_belong_to_the_label_png_beside_them(tmp_path: Path):
    labels = np.zeros((4, 5), dtype=np.uint8)
    write_label_png(label_path(tmp_path, "a"), labels, "key-1")
    write_arrays(scores_path(tmp_path, "a"), {"log_probs": np.ones((2, 4, 5), np.float32)}, {INPUT_KEY: "key-1"})
    arrays, _ = read_stored_scores(tmp_path, "a", ("log_probs",), "gcn")
    assert arrays["log_probs"].shape == (2, 4, 5)

    write_label_png(label_path(tmp_path, "a"), labels, "key-2")  # the PNG was recomputed, the scores were not
    with pytest.raises(InputError, match=r"a\.h5: does not belong to the label PNG beside it; rerun the gcn stage"):
        read_stored_scores(tmp_path, "a", ("log_probs",), "gcn")
