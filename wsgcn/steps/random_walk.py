"""Step ``random-walk``: IRNet's random-walk labels of a shard of images (IRNet
``step/make_sem_seg_labels.py``), and the same labels refined by the final dCRF.

The spec has keys ``dataset``, ``random_walk`` and ``final_crf``. Per-image results carry
an input key built from their parameters, the code and the keys of the upstream CAM and
boundary files, so only images whose inputs changed recompute.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from wsgcn.affinity.random_walk import crf_refined_labels, random_walk_labels
from wsgcn.cam.files import cam_result_path, read_cam
from wsgcn.crf import CrfParams
from wsgcn.data.dataset import dataset_from_config
from wsgcn.hashing import canonical_json, text_digest
from wsgcn.io.h5store import read_arrays, stored_key
from wsgcn.io.label_png import stored_png_key, write_label_png
from wsgcn.io.layout import boundary_path, label_path, upstream_key
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.runtime import select_device
from wsgcn.shard_runner import ShardOutput, run_shard_outputs

Walk = tuple[np.ndarray, np.ndarray, np.ndarray]
"""An image's class keys (K,), RW label map (H, W) and walk scores (K, H, W)."""


def _walk(spec: Spec, cam_dir: str, boundary_dir: str, image_id: str, device: torch.device) -> Walk:
    arrays = read_cam(cam_result_path(cam_dir, image_id), ("keys", "cam"))
    stored, attrs = read_arrays(boundary_path(boundary_dir, image_id), ("boundary",))
    size = (int(attrs["height"]), int(attrs["width"]))
    walk = spec["random_walk"]
    labels, scores = random_walk_labels(
        arrays["cam"],
        arrays["keys"],
        stored["boundary"].astype(np.float32),
        size,
        walk["radius"],
        walk["beta"],
        walk["exp_times"],
        walk["background_threshold"],
        device,
    )
    return arrays["keys"], labels, scores


def random_walk_shard(
    spec: Spec,
    ids: Sequence[str],
    cam_dir: str,
    boundary_dir: str,
    rw_dir: str,
    rw_crf_dir: str,
    rw_manifest: str,
    rw_crf_manifest: str,
    device: str,
) -> None:
    """RW label PNGs in ``rw_dir`` and RW + CRF label PNGs in ``rw_crf_dir`` of ``ids``."""
    dataset = dataset_from_config(spec["dataset"])
    torch_device = select_device(device)
    walk_key = text_digest(canonical_json(spec["random_walk"]), code_digest(__name__))
    crf_key = text_digest(canonical_json(spec["final_crf"]), walk_key)
    crf = CrfParams.from_config(spec["final_crf"], "final_crf", {"softmax_quirk"})
    walked: dict[str, Walk] = {}

    def upstream(image_id: str) -> str:
        cam_key = upstream_key(cam_result_path(cam_dir, image_id), stored_key, "CAM file")
        return text_digest(cam_key, upstream_key(boundary_path(boundary_dir, image_id), stored_key, "boundary file"))

    def walk_of(image_id: str) -> Walk:
        if image_id not in walked:
            walked.clear()
            walked[image_id] = _walk(spec, cam_dir, boundary_dir, image_id, torch_device)
        return walked[image_id]

    def compute_rw(image_id: str, path: Path, key: str) -> None:
        write_label_png(path, walk_of(image_id)[1], key)

    def compute_crf(image_id: str, path: Path, key: str) -> None:
        keys, _, scores = walk_of(image_id)
        rgb = dataset.load_image(image_id)
        labels = crf_refined_labels(
            rgb, scores, keys, spec["random_walk"]["background_threshold"], crf, spec["final_crf"]["softmax_quirk"]
        )
        write_label_png(path, labels, key)

    run_shard_outputs(
        ids,
        [
            ShardOutput(
                lambda i: text_digest(walk_key, upstream(i)),
                lambda i: label_path(rw_dir, i),
                compute_rw,
                rw_manifest,
                stored_png_key,
            ),
            ShardOutput(
                lambda i: text_digest(crf_key, upstream(i), dataset.image_digest(i)),
                lambda i: label_path(rw_crf_dir, i),
                compute_crf,
                rw_crf_manifest,
                stored_png_key,
            ),
        ],
    )
