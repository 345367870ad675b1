"""IRNet's random walk (``misc/indexing.py::propagate_to_edge``) without dense matrices.

IRNet builds the dense N x N affinity A of the stride-4 grid (A[p, q] = 1 - max(B) on
the path from p to q for |q - p| < radius, A[p, p] = 1), S = A ** beta, the
column-stochastic T = S / colsum(S), squares T ``exp_times`` times and multiplies the
CAM rows by T^(2^exp_times). Here S is kept sparse (69 entries per column for radius
5) and x T^(2^exp_times) is computed as 2^exp_times sparse products, which is the same
product in a different association: exact up to floating-point rounding.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from wsgcn.affinity.paths import path_directions, path_max
from wsgcn.crf import CrfParams, crf_from_scores
from wsgcn.data.classes import plane_labels
from wsgcn.sparse import csr_matrix


def neighbour_affinities(boundary: torch.Tensor, radius: int) -> list[tuple[tuple[int, int], torch.Tensor]]:
    """For every direction d: (d, affinity map of the pairs (p, p + d) inside the grid).

    ``boundary`` is (h, w); the map of direction (dy, dx) is (h - dy, w - |dx|) and its
    entry [i, j] belongs to the source (i, j + max(0, -dx)).
    """
    height, width = boundary.shape
    result = []
    for dy, dx in path_directions(radius):
        rows, columns = height - dy, width - abs(dx)
        if rows <= 0 or columns <= 0:
            continue
        result.append(((dy, dx), 1.0 - path_max(boundary, (dy, dx), 0, max(0, -dx), rows, columns)))
    return result


def transition_operator(boundary: torch.Tensor, radius: int, beta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The symmetric sparse S = A ** beta (N x N, CSR) and its column sums (N,).

    T = S / colsum is IRNet's transition matrix; N = h * w in row-major order.
    """
    height, width = boundary.shape
    count = height * width
    flat = torch.arange(count, device=boundary.device).view(height, width)
    rows = [flat.reshape(-1)]
    columns = [flat.reshape(-1)]
    values = [torch.ones(count, dtype=boundary.dtype, device=boundary.device)]
    for (dy, dx), affinity in neighbour_affinities(boundary, radius):
        left = max(0, -dx)
        source = flat[: height - dy, left : left + width - abs(dx)].reshape(-1)
        target = source + dy * width + dx
        weight = affinity.reshape(-1).clamp_min(0.0) ** beta
        rows += [source, target]
        columns += [target, source]
        values += [weight, weight]
    matrix = csr_matrix(torch.cat(rows), torch.cat(columns), torch.cat(values), (count, count))
    column_sums = torch.zeros(count, dtype=boundary.dtype, device=boundary.device).index_add_(
        0, matrix.col_indices(), matrix.values()
    )
    return matrix, column_sums


def propagate(values: torch.Tensor, boundary: torch.Tensor, radius: int, beta: float, steps: int) -> torch.Tensor:
    """x T^steps for the rows of ``values`` (K, h, w) over the grid of ``boundary`` (h, w).

    Returns (K, h, w) in the dtype of ``values``. Computed in float64 as ``steps`` sparse
    products; S is symmetric, so x T = ((S x^T) / colsum)^T.
    """
    channels, height, width = values.shape
    if channels == 0:
        return values.clone()
    matrix, column_sums = transition_operator(boundary.double(), radius, beta)
    state = values.double().reshape(channels, -1).T.contiguous()
    scale = (1.0 / column_sums)[:, None]
    for _ in range(steps):
        state = (matrix @ state) * scale
    return state.T.reshape(channels, height, width).to(values.dtype)


def walk_scores(
    cam: np.ndarray,
    boundary: np.ndarray,
    radius: int,
    beta: float,
    exp_times: int,
    device: torch.device | None = None,
) -> np.ndarray:
    """The random walk of one image's stride-4 CAMs ``cam`` (K, h, w) on the boundary map
    ``boundary`` (h, w): the walked scores (K, h, w) float32, before upsampling."""
    if cam.shape[1:] != boundary.shape:
        raise ValueError(f"CAM grid {cam.shape[1:]} differs from boundary grid {boundary.shape}")
    if len(cam) == 0:
        return np.zeros(cam.shape, np.float32)
    device = device or torch.device("cpu")
    edge = torch.from_numpy(boundary.astype(np.float32)).to(device)
    scores = torch.from_numpy(cam.astype(np.float32)).to(device) * (1.0 - edge)
    return propagate(scores, edge, radius, beta, 2**exp_times).cpu().numpy()


def walk_labels(
    walked: np.ndarray, keys: np.ndarray, image_size: tuple[int, int], background_threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """IRNet's decoding of walked scores (K, h, w) of the classes ``keys`` (K,): upsampled
    4x to ``image_size`` (H, W), normalised by their peak, against a constant background
    ``background_threshold``. Returns the VOC label map (H, W) uint8 (0 background, keys + 1
    foreground) and the normalised scores (K, H, W) float32."""
    height, width = image_size
    if len(keys) == 0:
        return np.zeros((height, width), np.uint8), np.zeros((0, height, width), np.float32)
    walked_tensor = torch.from_numpy(walked.astype(np.float32, copy=False))
    upsampled = F.interpolate(walked_tensor[None], scale_factor=4, mode="bilinear", align_corners=False)[0]
    upsampled = upsampled[:, :height, :width]
    peak = upsampled.max()
    if peak > 0:
        upsampled = upsampled / peak
    with_background = torch.cat([torch.full_like(upsampled[:1], background_threshold), upsampled])
    index = with_background.argmax(dim=0).numpy()
    return plane_labels(keys)[index], upsampled.numpy().astype(np.float32)


def random_walk_labels(
    cam: np.ndarray,
    keys: np.ndarray,
    boundary: np.ndarray,
    image_size: tuple[int, int],
    radius: int,
    beta: float,
    exp_times: int,
    background_threshold: float,
    device: torch.device | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """IRNet's semantic pseudo label of one image (``step/make_sem_seg_labels.py``):
    :func:`walk_scores` then :func:`walk_labels`.

    ``cam`` (K, h, w) are the stride-4 CAMs of the foreground classes ``keys`` (K,),
    ``boundary`` (h, w) is B at stride 4, ``image_size`` is (H, W). Returns the VOC label
    map (H, W) uint8 and the normalised walk scores (K, H, W) float32. An image with no
    keys gets an all-background map.
    """
    walked = walk_scores(cam, boundary, radius, beta, exp_times, device)
    return walk_labels(walked, keys, image_size, background_threshold)


def crf_refined_labels(
    rgb: np.ndarray,
    scores: np.ndarray,
    keys: np.ndarray,
    background_threshold: float,
    crf: CrfParams,
    softmax_quirk: bool,
) -> np.ndarray:
    """RW + CRF: the walk scores (K, H, W) of the classes ``keys`` with a constant
    background plane ``background_threshold``, refined by the dCRF on ``rgb`` (H, W, 3);
    returns the VOC label map (H, W) uint8."""
    background = np.full((1, *scores.shape[1:]), background_threshold, np.float32)
    marginals = crf_from_scores(rgb, np.concatenate([background, scores]), crf, softmax_quirk, normalise=True)
    return plane_labels(keys)[marginals.argmax(axis=0)]
