"""Step ``gcn``: one GCN per image on IRNet's graph (§5.2-5.4), for a shard of images.

The spec has keys ``dataset``, ``gcn`` (the config's ``gcn`` section) and ``random_walk``
(the graph's radius, beta and exp_times are IRNet's). Per image, the gcn folder holds the
GCN's stride-4 log-probabilities (HDF5, read by the ``gcn-crf`` step) and the label
without CRF (PNG).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from wsgcn.data.dataset import dataset_from_config
from wsgcn.errors import InputError, NumericalError
from wsgcn.gcn.decode import plain_labels
from wsgcn.gcn.image import gcn_log_probs, gcn_seed
from wsgcn.hashing import canonical_json, text_digest
from wsgcn.io.h5store import INPUT_KEY, read_arrays, stored_key, write_arrays
from wsgcn.io.label_png import read_label_png, stored_png_key, write_label_png
from wsgcn.io.layout import boundary_path, label_path, scores_path, upstream_key
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.runtime import select_device
from wsgcn.shard_runner import run_shard

log = logging.getLogger(__name__)


def gcn_shard(
    spec: Spec,
    ids: Sequence[str],
    boundary_dir: str,
    partial_dir: str,
    out_dir: str,
    manifest_path: str,
    device: str,
) -> None:
    """GCN labels and log-probabilities of ``ids`` in ``out_dir``."""
    dataset = dataset_from_config(spec["dataset"])
    torch_device = select_device(device)
    gcn = spec["gcn"]
    walk = spec["random_walk"]
    code = code_digest(__name__)
    gcn_key = text_digest(canonical_json({"graph": gcn["graph"], "train": gcn["train"], "walk": walk}), code)

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
        try:
            log_probs, history = gcn_log_probs(
                rgb,
                stored["boundary"],
                stored["features"],
                labels,
                gcn,
                walk,
                gcn_seed(gcn["train"], image_id),
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
        write_arrays(scores_path(out_dir, image_id), {"log_probs": log_probs.cpu().numpy().astype(np.float32)}, attrs)
        write_label_png(path, plain, key)

    run_shard(ids, gcn_of, lambda i: label_path(out_dir, i), compute_gcn, manifest_path, stored_png_key)
