from pathlib import Path

import numpy as np
from conftest import make_dataset
from PIL import Image

from wsgcn.data.demo import DEMO_CLASSES, write_demo_dataset
from wsgcn.data.ids import read_id_list
from wsgcn.data.images import load_mask


def _all_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_demo_dataset_is_deterministic_and_consistent(tmp_path: Path):
    ids = write_demo_dataset(tmp_path / "a", 16, seed=0, size=(64, 80))
    write_demo_dataset(tmp_path / "b", 16, seed=0, size=(64, 80))
    assert _all_bytes(tmp_path / "a") == _all_bytes(tmp_path / "b")
    assert read_id_list(tmp_path / "a" / "ImageSets" / "Segmentation" / "train.txt") == ids

    root = tmp_path / "a"
    seen: set[int] = set()
    for image_id in ids:
        image = Image.open(root / "JPEGImages" / f"{image_id}.jpg")
        mask = load_mask(root / "SegmentationClass" / f"{image_id}.png", len(DEMO_CLASSES) + 1)
        assert image.size == (mask.shape[1], mask.shape[0])
        labels = {
            source: make_dataset(root, DEMO_CLASSES, source, root / "labels.csv").image_labels(image_id)
            for source in ("xml", "mask", "csv")
        }
        assert labels["xml"] == labels["mask"] == labels["csv"] and labels["xml"]
        seen.update(labels["xml"])
        assert (mask == 255).any() and (mask == 0).mean() > 0.3  # void borders and background
    assert len(seen) >= 3


def test_another_seed_gives_other_images(tmp_path: Path):
    write_demo_dataset(tmp_path / "a", 4, seed=0, size=(64, 80))
    write_demo_dataset(tmp_path / "b", 4, seed=1, size=(64, 80))
    a = np.asarray(Image.open(tmp_path / "a" / "JPEGImages" / "demo_0000.jpg"))
    b = np.asarray(Image.open(tmp_path / "b" / "JPEGImages" / "demo_0000.jpg"))
    assert a.shape != b.shape or not np.array_equal(a, b)
