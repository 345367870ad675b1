"""Step ``cam``: multi-scale CAMs of a shard of images (IRNet ``step/make_cam.py``).

The spec has keys ``dataset``, ``backbone`` (``name``, ``weights``) and ``infer`` (the
config's ``cam.infer``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from wsgcn.cam.files import cam_result_path, encode_cam_map
from wsgcn.cam.infer import multiscale_cam
from wsgcn.data.dataset import Dataset, dataset_from_config
from wsgcn.errors import NumericalError
from wsgcn.hashing import canonical_json, file_digest, text_digest
from wsgcn.io.h5store import INPUT_KEY, write_arrays
from wsgcn.models.backbones import load_state_file
from wsgcn.models.cam_net import CamNet
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.runtime import select_device
from wsgcn.shard_runner import run_shard

log = logging.getLogger(__name__)


def load_cam_model(spec: Spec, dataset: Dataset, model_path: str | Path, device: torch.device) -> CamNet:
    """A trained :class:`CamNet` in eval mode (backbone built without ImageNet weights)."""
    model = CamNet(spec["backbone"]["name"], len(dataset.class_names), weights="none")
    model.load_state_dict(load_state_file(model_path))
    return model.to(device).eval()


def infer_shard(spec: Spec, ids: Sequence[str], model_path: str, cam_dir: str, manifest_path: str, device: str) -> None:
    """Compute (or reuse) the CAM file of every image in ``ids``; write the manifest."""
    dataset = dataset_from_config(spec["dataset"])
    torch_device = select_device(device)
    stage_key = text_digest(canonical_json(spec["infer"]), file_digest(model_path), code_digest(__name__))
    infer = spec["infer"]
    model: CamNet | None = None

    def key_of(image_id: str) -> str:
        keys = dataset.image_labels(image_id)
        return text_digest(stage_key, dataset.image_digest(image_id), canonical_json(list(keys)))

    def compute(image_id: str, path: Path, key: str) -> None:
        nonlocal model
        if model is None:
            model = load_cam_model(spec, dataset, model_path, torch_device)
        rgb = dataset.load_image(image_id)
        keys = dataset.image_labels(image_id)
        if not keys:
            log.warning("%s has no foreground label: its CAM has no channels", image_id)
        cam, high_res = multiscale_cam(model, rgb, keys, infer["scales"], infer["flip"], infer["power"])
        if not (np.isfinite(cam).all() and np.isfinite(high_res).all()):
            raise NumericalError(f"{image_id}: CAM contains NaN or Inf; the model in {model_path} is broken")
        write_arrays(
            path,
            {
                "keys": np.asarray(keys, dtype=np.int16),
                "cam": encode_cam_map(cam, infer["storage"], infer["mantissa_bits"]),
                "high_res": encode_cam_map(high_res, infer["storage"], infer["mantissa_bits"]),
            },
            {INPUT_KEY: key, "image_id": image_id, "height": rgb.shape[0], "width": rgb.shape[1]},
        )

    run_shard(ids, key_of, lambda image_id: cam_result_path(cam_dir, image_id), compute, manifest_path)
