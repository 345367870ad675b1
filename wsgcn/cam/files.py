"""Where the CAM stage's per-image results live (imported by the later stages, which read them)."""

from __future__ import annotations

from pathlib import Path


def cam_result_path(cam_dir: str | Path, image_id: str) -> Path:
    """Where the CAM HDF5 file of ``image_id`` lives inside a CAM results folder."""
    return Path(cam_dir) / "images" / f"{image_id}.h5"
