import re
from pathlib import Path

import pytest
import torch

from wsgcn.checkpoint import load_checkpoint, save_torch_file
from wsgcn.errors import InputError


def test_the_same_state_gives_the_same_bytes_wherever_it_is_saved(tmp_path):
    # result keys digest the weight files: a run must not depend on the temporary names
    state = {"weights": torch.arange(6.0).view(2, 3), "step": 3, "history": ["step,loss", "1,0.5"]}
    save_torch_file(tmp_path / "a.pt", state)
    save_torch_file(tmp_path / "other" / "b.pt", state)
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "other" / "b.pt").read_bytes()
    loaded = load_checkpoint(tmp_path / "a.pt")
    assert torch.equal(loaded["weights"], state["weights"]) and loaded["history"] == state["history"]
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_no_file_is_unpickled(tmp_path):
    # a checkpoint with an arbitrary object is refused instead of executing its pickle
    class Payload:
        def __reduce__(self):
            return (print, ("unpickled!",))

    torch.save({"step": 1, "payload": Payload()}, tmp_path / "evil.pt")
    with pytest.raises(InputError, match=re.escape("evil.pt")):
        load_checkpoint(tmp_path / "evil.pt")
    # and every torch.load in the package passes weights_only=True; nothing but the restricted
    # unpickler (tests/test_safe_pickle.py) imports pickle, and no numpy load allows pickles
    package = Path(__file__).resolve().parents[1] / "wsgcn"
    sources = {path: path.read_text() for path in package.rglob("*.py")}
    loads = [(path.name, line) for path, text in sources.items() for line in text.splitlines() if "torch.load(" in line]
    assert loads and all("weights_only=True" in line for _, line in loads)
    assert [
        path.name for path, text in sources.items() if re.search(r"^\s*(import|from) (c?pickle|dill)\b", text, re.M)
    ] == ["safe_pickle.py"]
    assert not [path.name for path, text in sources.items() if "allow_pickle=True" in text]
