"""Working size: which images are resized, to what size, and how."""

from __future__ import annotations

import numpy as np
import pytest

from wsgcn.data.working_size import WorkingSize
from wsgcn.errors import ConfigError, InputError

LIMITS = WorkingSize(min_side=32, max_side=100)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((64, 80), (64, 80)),  # within the limits: untouched
        ((32, 100), (32, 100)),  # on both limits
        ((160, 200), (80, 100)),  # long side 200 -> 100
        ((300, 150), (100, 50)),  # portrait
        ((20, 25), (32, 40)),  # short side 20 -> 32
        ((30, 20), (48, 32)),  # portrait, short side 20 -> 32
        ((7, 7), (32, 32)),
    ],
)
def test_sizes_are_scaled_to_the_violated_limit_keeping_the_aspect_ratio(size, expected):
    assert LIMITS.of(*size, "a.jpg") == expected


def test_an_aspect_ratio_that_fits_no_working_size_is_an_error():
    with pytest.raises(InputError, match="image of 10x400 pixels: its aspect ratio does not fit"):
        LIMITS.of(10, 400, "a.jpg")  # 400 -> 100 makes the short side 2.5


def test_limits_must_be_ordered():
    with pytest.raises(ConfigError, match="min_side <= max_side"):
        WorkingSize(min_side=200, max_side=100)


def test_images_are_resampled_smoothly_and_masks_by_nearest_neighbour():
    rng = np.random.default_rng(0)
    mask = np.kron(rng.integers(0, 5, (20, 25)), np.ones((8, 8), np.int64)).astype(np.uint8)  # 160x200, 8-pixel cells
    mask[0, 0] = 255
    small = LIMITS.mask(mask, "a.png")
    assert small.shape == (80, 100)
    # nearest neighbour with a factor of 2: every output pixel is one of its 2x2 block's
    blocks = mask.reshape(80, 2, 100, 2).transpose(0, 2, 1, 3).reshape(80, 100, 4)
    assert (blocks == small[..., None]).any(axis=-1).all()

    flat = np.full((160, 200, 3), 37, np.uint8)
    flat[:, 100:] = 201
    rgb = LIMITS.image(flat, "a.jpg")
    assert rgb.shape == (80, 100, 3) and rgb.dtype == np.uint8
    assert (rgb[:, :49] == 37).all() and (rgb[:, 51:] == 201).all()  # flat areas stay flat
    assert set(np.unique(rgb[:, 49:51])) <= set(range(37, 202))


def test_images_within_the_limits_are_returned_unchanged():
    rgb = (np.arange(64 * 80 * 3) % 251).astype(np.uint8).reshape(64, 80, 3)
    mask = rgb[..., 0] % 5
    assert LIMITS.image(rgb, "a.jpg") is rgb and LIMITS.mask(mask, "a.png") is mask
