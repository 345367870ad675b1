"""Step ``gcn``: one GCN per image on IRNet's graph (§5.2-5.4), decoded without and with
the final dCRF (§5.5), for a shard of images.

The spec has keys ``dataset``, ``gcn`` (the config's ``gcn`` section), ``random_walk``
(the graph's radius, beta and exp_times are IRNet's) and ``final_crf``. Per image:

* ``gcn``: the GCN's stride-4 log-probabilities (HDF5) and the label without CRF (PNG);
* ``gcn_crf``: the complete pseudo label after the final dCRF (PNG).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wsgcn.cam.files import cam_result_path
from wsgcn.crf import CrfParams
from wsgcn.data.dataset import dataset_from_config
from wsgcn.errors import InputError, NumericalError
from wsgcn.gcn.decode import crf_labels, plain_labels
from wsgcn.gcn.graph import GraphParams, graph_propagation
from wsgcn.gcn.model import Propagate
from wsgcn.gcn.partial_labels import grid_image
from wsgcn.gcn.train import GcnTrainParams, train_gcn
from wsgcn.hashing import canonical_json, text_digest
from wsgcn.io.h5store import INPUT_KEY, read_arrays, stored_key, write_arrays
from wsgcn.io.label_png import read_label_png, stored_png_key, write_label_png
from wsgcn.io.layout import boundary_path, label_path, log_probs_path, upstream_key
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.runtime import derived_seed, select_device
from wsgcn.shard_runner import ShardOutput, run_shard_outputs

log = logging.getLogger(__name__)


def image_log_probs(
    boundary: np.ndarray,
    features: np.ndarray,
    labels: np.ndarray,
    rgb: np.ndarray,
    graph: GraphParams,
    walk: Mapping[str, Any],
    params: GcnTrainParams,
    seed: int,
    classes: int,
    device: torch.device,
) -> tuple[torch.Tensor, list[dict[str, float]]]:
    """One image's GCN: the graph of ``boundary`` (h, w), a GCN trained on the node
    features (F, h, w) and partial labels (h, w); returns its log-probabilities
    (classes, h, w) and the loss log of :func:`train_gcn`."""
    colours = torch.from_numpy(grid_image(rgb, boundary.shape).astype(np.float32) / 255.0).permute(2, 0, 1).to(device)
    nodes = torch.from_numpy(features.astype(np.float32)).reshape(features.shape[0], -1).T.contiguous().to(device)
    propagate: Propagate = graph_propagation(boundary, graph, walk["radius"], walk["beta"], walk["exp_times"], device)
    return train_gcn(nodes, labels, colours, propagate, params, seed, classes)


def gcn_shard(
    spec: Spec,
    ids: Sequence[str],
    cam_dir: str,
    boundary_dir: str,
    partial_dir: str,
    gcn_dir: str,
    gcn_crf_dir: str,
    gcn_manifest: str,
    gcn_crf_manifest: str,
    device: str,
) -> None:
    """GCN labels (and log-probabilities) and GCN + CRF labels of ``ids``."""
    dataset = dataset_from_config(spec["dataset"])
    torch_device = select_device(device)
    gcn = spec["gcn"]
    train_params = GcnTrainParams.from_config(gcn["train"])
    graph = GraphParams.from_config(gcn["graph"])
    walk = spec["random_walk"]
    final_crf = CrfParams.from_config(spec["final_crf"], "final_crf", {"softmax_quirk"})
    code = code_digest(__name__)
    gcn_key = text_digest(canonical_json({"graph": gcn["graph"], "train": gcn["train"], "walk": walk}), code)
    crf_key = text_digest(canonical_json(spec["final_crf"]), code)

    def gcn_of(image_id: str) -> str:
        partial = upstream_key(label_path(partial_dir, image_id), stored_png_key, "partial label PNG")
        boundary = upstream_key(boundary_path(boundary_dir, image_id), stored_key, "boundary file")
        return text_digest(gcn_key, partial, boundary)

    def compute_gcn(image_id: str, path: Path, key: str) -> None:
        stored, _ = read_arrays(boundary_path(boundary_dir, image_id), ("boundary", "features"))
        grid = stored["boundary"].shape
        labels = read_label_png(label_path(partial_dir, image_id))[::4, ::4]
        if labels.shape != grid:
            raise InputError(
                f"{label_path(partial_dir, image_id)}: grid {labels.shape} differs from the boundary grid {grid}"
            )
        rgb = dataset.load_image(image_id)
        seed = derived_seed(train_params.seed, "gcn", image_id)
        try:
            log_probs, history = image_log_probs(
                stored["boundary"],
                stored["features"],
                labels,
                rgb,
                graph,
                walk,
                train_params,
                seed,
                dataset.num_classes,
                torch_device,
            )
        except NumericalError as error:
            raise NumericalError(f"{image_id}: {error}; no labels written for it") from error
        last = history[-1]
        log.info(
            "%s: final loss %.4f (fg %.4f, bg %.4f, entropy %.4f, laplacian %.4f)",
            image_id,
            last["loss"],
            last["fg"],
            last["bg"],
            last["entropy"],
            last["laplacian"],
        )
        plain = plain_labels(log_probs, rgb.shape[:2])
        attrs = {INPUT_KEY: key, "image_id": image_id, "height": rgb.shape[0], "width": rgb.shape[1]}
        write_arrays(
            log_probs_path(gcn_dir, image_id), {"log_probs": log_probs.cpu().numpy().astype(np.float32)}, attrs
        )
        write_label_png(path, plain, key)

    def crf_of(image_id: str) -> str:
        gcn_result = upstream_key(label_path(gcn_dir, image_id), stored_png_key, "GCN label PNG")
        return text_digest(crf_key, gcn_result)

    def compute_crf(image_id: str, path: Path, key: str) -> None:
        source = log_probs_path(gcn_dir, image_id)
        arrays, attrs = read_arrays(source, ("log_probs",))
        if attrs.get(INPUT_KEY) != stored_png_key(label_path(gcn_dir, image_id)):
            raise InputError(f"{source}: does not belong to the GCN label PNG beside it; rerun the gcn stage")
        keys, _ = read_arrays(cam_result_path(cam_dir, image_id), ("keys",))
        rgb = dataset.load_image(image_id)
        log_probs = torch.from_numpy(arrays["log_probs"])
        write_label_png(
            path, crf_labels(log_probs, keys["keys"], rgb, final_crf, spec["final_crf"]["softmax_quirk"]), key
        )

    run_shard_outputs(
        ids,
        [
            ShardOutput(gcn_of, lambda i: label_path(gcn_dir, i), compute_gcn, gcn_manifest, stored_png_key),
            ShardOutput(crf_of, lambda i: label_path(gcn_crf_dir, i), compute_crf, gcn_crf_manifest, stored_png_key),
        ],
    )
