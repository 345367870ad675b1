"""One image's GCN from the config: IRNet's graph of its boundary map, then a fresh GCN
trained on its node features and partial labels (§5.2-5.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from wsgcn.errors import InputError
from wsgcn.gcn.graph import GraphParams, graph_propagation
from wsgcn.gcn.model import Propagate
from wsgcn.gcn.partial_labels import grid_image
from wsgcn.gcn.train import GcnTrainParams, train_gcn
from wsgcn.runtime import derived_seed

GRAPH_WALK_KEYS = ("radius", "beta", "exp_times")
"""The keys of ``random_walk`` that define IRNet's graph, on which the GCN also runs."""


def gcn_seed(gcn_train: Mapping[str, Any], image_id: str) -> int:
    """The seed of ``image_id``'s GCN: ``gcn.train.seed`` derived per image."""
    return derived_seed(gcn_train["seed"], "gcn", image_id)


def gcn_log_probs(
    rgb: np.ndarray,
    boundary: np.ndarray,
    features: np.ndarray,
    labels: np.ndarray,
    gcn: Mapping[str, Any],
    walk: Mapping[str, Any],
    seed: int,
    classes: int,
    device: torch.device,
) -> tuple[torch.Tensor, list[dict[str, float]]]:
    """The log-probabilities (``classes``, h, w) of a GCN trained on the graph of
    ``boundary`` (h, w) in [0, 1], the node features ``features`` (F, h, w) and the
    partial ``labels`` (h, w), and its loss log (:func:`wsgcn.gcn.train.train_gcn`).
    ``rgb`` (H, W, 3) is the image; ``gcn`` the config's ``gcn`` section (``graph`` and
    ``train`` are read); ``walk`` the graph's ``radius``, ``beta`` and ``exp_times``."""
    if labels.shape != boundary.shape or features.shape[1:] != boundary.shape:
        raise InputError(
            f"the partial labels {labels.shape}, features {features.shape[1:]} and boundary map"
            f" {boundary.shape} must share one grid"
        )
    graph = GraphParams.from_config(gcn["graph"])
    params = GcnTrainParams.from_config(gcn["train"])
    colours = torch.from_numpy(grid_image(rgb, boundary.shape).astype(np.float32) / 255.0).permute(2, 0, 1).to(device)
    nodes = torch.from_numpy(features.astype(np.float32)).reshape(features.shape[0], -1).T.contiguous().to(device)
    propagate: Propagate = graph_propagation(boundary, graph, walk["radius"], walk["beta"], walk["exp_times"], device)
    return train_gcn(nodes, labels, colours, propagate, params, seed, classes)
