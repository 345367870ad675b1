import torch

from wsgcn.checkpoint import load_checkpoint, save_torch_file


def test_the_same_state_gives_the_same_bytes_wherever_it_is_saved(tmp_path):
    # result keys digest the weight files: a run must not depend on the temporary names
    state = {"weights": torch.arange(6.0).view(2, 3), "step": 3, "history": ["step,loss", "1,0.5"]}
    save_torch_file(tmp_path / "a.pt", state)
    save_torch_file(tmp_path / "other" / "b.pt", state)
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "other" / "b.pt").read_bytes()
    loaded = load_checkpoint(tmp_path / "a.pt")
    assert torch.equal(loaded["weights"], state["weights"]) and loaded["history"] == state["history"]
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
