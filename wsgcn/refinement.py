"""WSGCN's refinement of one image, without the workflow: CAMs and IRNet's boundary map
and node features in, complete pseudo labels out.

:func:`refine` chains the three per-image functions that the workflow's ``partial-labels``, ``gcn``
and ``gcn-crf`` steps call, so there is one implementation:

1. :func:`wsgcn.gcn.partial_labels.image_partial_labels`: partial labels on the stride-4
   grid from the CAMs (§5.3);
2. :func:`wsgcn.gcn.image.gcn_log_probs`: a fresh GCN trained on them over IRNet's graph
   (§5.2-5.4);
3. :func:`wsgcn.gcn.decode.final_labels`: its output through the final dCRF (§5.5).

Example (a config as the workflow reads it, e.g. ``read_config_files(["config/config.yaml"])``)::

    from wsgcn import refine

    labels = refine(rgb, cams, keys, boundary, features, config)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from wsgcn.cam.external import strided_from_high_res
from wsgcn.errors import InputError
from wsgcn.gcn.decode import final_labels
from wsgcn.gcn.image import GRAPH_WALK_KEYS, gcn_log_probs, gcn_seed
from wsgcn.gcn.partial_labels import image_partial_labels
from wsgcn.runtime import select_device


def refine(
    image: np.ndarray,
    cams: np.ndarray,
    keys: Sequence[int],
    boundary: np.ndarray,
    features: np.ndarray,
    config: Mapping[str, Any],
    image_id: str = "",
    device: str = "auto",
) -> np.ndarray:
    """WSGCN's complete pseudo labels (H, W) uint8 (0 background, class + 1) of one image.

    ``image`` (H, W, 3) uint8 RGB; ``cams`` (K, h, w) stride-4 CAMs in [0, 1] of the
    0-based classes ``keys`` (K,), or (K, H, W) full-size ones (resized to the grid
    h = ceil(H / 4), w = ceil(W / 4)); ``boundary`` (h, w) IRNet's boundary map in [0, 1];
    ``features`` (F, h, w) its node features. ``config`` is a full config (the schema's
    defaults merged with a config file): ``dataset.class_names``, ``gcn``,
    ``random_walk`` and ``final_crf`` are read. ``image_id`` seeds the GCN as the
    workflow does, so the same id gives the workflow's labels for the same arrays.
    """
    grid = boundary.shape
    if cams.shape[1:] == image.shape[:2] and tuple(grid) != image.shape[:2]:
        cams = strided_from_high_res(cams.astype(np.float32), grid)
    if cams.shape[0] != len(keys) or cams.shape[1:] != grid:
        raise InputError(f"cams {cams.shape} must be one map per key ({len(keys)}) on the boundary grid {grid}")
    gcn = config["gcn"]
    labels = image_partial_labels(image, cams, keys, gcn["partial_labels"])
    walk = {key: config["random_walk"][key] for key in GRAPH_WALK_KEYS}
    classes = len(config["dataset"]["class_names"]) + 1
    log_probs, _ = gcn_log_probs(
        image, boundary, features, labels, gcn, walk, gcn_seed(gcn["train"], image_id), classes, select_device(device)
    )
    return final_labels(log_probs, keys, image, config["final_crf"])
