"""Path indices and the sparse random walk against hand-built and dense references."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from conftest import published

from wsgcn.affinity.paths import pair_destinations, path_affinities, path_cells, path_directions
from wsgcn.affinity.random_walk import propagate, random_walk_labels

RADIUS5 = [
    (0, 1), (0, 2), (0, 3), (0, 4),
    (1, -4), (1, -3), (1, -2), (1, -1), (1, 0), (1, 1), (1, 2), (1, 3), (1, 4),
    (2, -4), (2, -3), (2, -2), (2, -1), (2, 0), (2, 1), (2, 2), (2, 3), (2, 4),
    (3, -3), (3, -2), (3, -1), (3, 0), (3, 1), (3, 2), (3, 3),
    (4, -2), (4, -1), (4, 0), (4, 1), (4, 2),
]  # fmt: skip


def test_radius5_directions_are_the_34_hand_enumerated_ones():
    assert list(path_directions(5)) == RADIUS5
    assert len(path_directions(10)) == 152


def test_path_cells_hand_checked():
    assert path_cells((0, 3)) == ((0, 3), (0, 2), (0, 1), (0, 0))
    assert set(path_cells((1, 1))) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    # (2, 1): every cell of the 3x2 box is within distance 1 of the segment.
    assert set(path_cells((2, 1))) == {(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)}
    # (1, -3): a cell is on the path when (x + 3y)^2 / 10 < 1
    cells = set(path_cells((1, -3)))
    expected = {(y, x) for y in (0, 1) for x in range(-3, 1) if (1 * x + 3 * y) ** 2 / 10 < 1}
    assert cells == expected and path_cells((1, -3))[0] == (1, -3) and path_cells((1, -3))[-1] == (0, 0)


def _naive_path_max(b: np.ndarray, source: tuple[int, int], direction: tuple[int, int]) -> float:
    dy, dx = direction
    best = -np.inf
    for y in range(min(0, dy), max(0, dy) + 1):
        for x in range(min(0, dx), max(0, dx) + 1):
            if (dy * x - dx * y) ** 2 < dy * dy + dx * dx:
                best = max(best, b[source[0] + y, source[1] + x])
    return best


def test_training_affinities_match_a_naive_loop():
    rng = np.random.default_rng(1)
    b = rng.random((14, 16))
    aff = path_affinities(torch.from_numpy(b), 5).numpy()
    assert aff.shape == (34, 14 - 4, 16 - 8)
    for d, direction in enumerate(RADIUS5):
        for i in range(aff.shape[1]):
            for j in range(aff.shape[2]):
                assert np.isclose(aff[d, i, j], 1 - _naive_path_max(b, (i, j + 4), direction))


def test_pair_destinations_on_a_hand_built_label_map():
    labels = torch.zeros((10, 12), dtype=torch.long)
    labels[:, 6:] = 7
    source, destination = pair_destinations(labels, 3)
    # radius 3: margin 2, sources rows 0..7, columns 2..9; direction (0, 1) is index 0.
    assert source.shape == (1, 8, 8) and destination.shape[1:] == (8, 8)
    assert destination[0, 0, 3] == 7 and source[0, 0, 3] == 0  # source column 5, destination 6
    assert destination[0, 0, 2] == 0  # source column 4, destination 5


def _dense_reference(cam: np.ndarray, b: np.ndarray, radius: int, beta: float, exp_times: int) -> np.ndarray:
    """IRNet literally: dense A over all pairs, A**beta, column-normalise, square 8 times."""
    h, w = b.shape
    n = h * w
    offsets = set(RADIUS5 if radius == 5 else path_directions(radius))
    a = np.eye(n)
    for p in range(n):
        py, px = divmod(p, w)
        for dy, dx in offsets:
            qy, qx = py + dy, px + dx
            if 0 <= qy < h and 0 <= qx < w:
                value = 1 - _naive_path_max(b, (py, px), (dy, dx))
                a[p, qy * w + qx] = a[qy * w + qx, p] = value
    s = a**beta
    t = s / s.sum(axis=0, keepdims=True)
    for _ in range(exp_times):
        t = t @ t
    return (cam.reshape(len(cam), -1) @ t).reshape(cam.shape)


def test_sparse_walk_equals_dense_reference():
    rng = np.random.default_rng(2)
    b = rng.random((9, 11)) ** 3
    b[:, 5] = 0.95  # a wall
    cam = rng.random((2, 9, 11))
    dense = _dense_reference(cam, b, 5, 10.0, 8)
    sparse = propagate(torch.from_numpy(cam), torch.from_numpy(b), 5, 10.0, 256).numpy()
    assert np.abs(sparse - dense).max() <= 1e-4 * max(1.0, np.abs(dense).max())
    assert np.abs(sparse - dense).max() <= 1e-8


def test_random_walk_labels_equal_dense_labels_and_respect_a_wall():
    h, w = 10, 12
    b = np.full((h, w), 0.02)
    b[:, 6] = 0.99
    cam = np.zeros((2, h, w))
    cam[0, 4, 2] = 1.0  # class 3 seeded left of the wall
    cam[1, 5, 9] = 0.8  # class 10 seeded right of it
    keys = np.array([2, 9])
    labels, _ = random_walk_labels(cam, keys, b, (40, 47), **published("random_walk"))
    walked = _dense_reference(cam * (1 - b), b, 5, 10.0, 8)
    up = F.interpolate(torch.from_numpy(walked)[None], scale_factor=4, mode="bilinear", align_corners=False)[
        0, :, :40, :47
    ]
    up = up / up.max()
    expected = np.array([0, 3, 10])[torch.cat([torch.full_like(up[:1], 0.25), up]).argmax(0).numpy()]
    assert labels.shape == (40, 47) and labels.dtype == np.uint8
    np.testing.assert_array_equal(labels, expected)
    assert set(np.unique(labels[:, :20])) <= {0, 3} and set(np.unique(labels[:, 28:])) <= {0, 10}


def test_image_without_keys_is_all_background():
    labels, scores = random_walk_labels(
        np.zeros((0, 5, 6)), np.zeros(0, int), np.zeros((5, 6)), (18, 22), **published("random_walk")
    )
    assert labels.shape == (18, 22) and not labels.any() and scores.shape == (0, 18, 22)
