import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from wsgcn.data.images import image_size, load_mask, load_rgb
from wsgcn.errors import InputError


@pytest.fixture
def rgb() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (12, 17, 3), dtype=np.uint8)


def test_rgb_png_round_trip(tmp_path: Path, rgb):
    Image.fromarray(rgb).save(tmp_path / "a.png")
    loaded = load_rgb(tmp_path / "a.png")
    assert loaded.dtype == np.uint8 and loaded.shape == (12, 17, 3)
    assert np.array_equal(loaded, rgb)


def test_grayscale_becomes_three_equal_channels(tmp_path: Path):
    grey = np.arange(12 * 17, dtype=np.uint8).reshape(12, 17)
    Image.fromarray(grey, mode="L").save(tmp_path / "g.png")
    loaded = load_rgb(tmp_path / "g.png")
    assert loaded.shape == (12, 17, 3)
    assert all(np.array_equal(loaded[..., c], grey) for c in range(3))


def test_sixteen_bit_is_scaled_to_eight_bit(tmp_path: Path):
    values = np.array([[0, 65535], [32768, 257 * 10]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "d.png")
    loaded = load_rgb(tmp_path / "d.png")
    assert loaded[..., 0].tolist() == [[0, 255], [128, 10]]


def test_cmyk_palette_and_rgba_are_converted(tmp_path: Path, rgb):
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "c.jpg")
    assert load_rgb(tmp_path / "c.jpg").shape == (12, 17, 3)
    Image.fromarray(rgb).convert("P").save(tmp_path / "p.png")
    assert load_rgb(tmp_path / "p.png").shape == (12, 17, 3)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 7, np.uint8)])
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    assert np.array_equal(load_rgb(tmp_path / "a.png"), rgb)


def test_exif_orientation_is_ignored(tmp_path: Path, rgb):
    image = Image.fromarray(rgb)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 CW"
    image.save(tmp_path / "o.jpg", exif=exif, quality=100)
    assert load_rgb(tmp_path / "o.jpg").shape == (12, 17, 3)
    assert image_size(tmp_path / "o.jpg") == (12, 17)


def test_truncated_jpeg_names_the_file(tmp_path: Path, rgb):
    Image.fromarray(np.tile(rgb, (10, 10, 1))).save(tmp_path / "full.jpg")
    data = (tmp_path / "full.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut.jpg: cannot decode image"):
        load_rgb(tmp_path / "cut.jpg")


def test_garbage_and_missing_files(tmp_path: Path):
    (tmp_path / "junk.jpg").write_bytes(b"not an image at all")
    with pytest.raises(InputError, match=re.escape("junk.jpg: cannot decode image")):
        load_rgb(tmp_path / "junk.jpg")
    with pytest.raises(InputError, match=re.escape("nothing.jpg: file does not exist")):
        load_rgb(tmp_path / "nothing.jpg")


def test_mask_of_rgb_mode_is_rejected(tmp_path: Path, rgb):
    Image.fromarray(rgb).save(tmp_path / "m.png")
    with pytest.raises(InputError, match="palette or grayscale"):
        load_mask(tmp_path / "m.png", 21)
