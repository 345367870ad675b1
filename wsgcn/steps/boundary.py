"""Step ``boundary``: IRNet's boundary map B and node features V of a shard of images.

The spec has keys ``dataset``, ``backbone`` (``name``, ``weights``), ``model`` and
``infer`` (the config's ``irn.model`` and ``irn.infer``). No N x N matrix is ever
written: the later steps rebuild the affinities from B.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from wsgcn.affinity.boundary import boundary_and_features
from wsgcn.data.dataset import dataset_from_config
from wsgcn.errors import NumericalError
from wsgcn.hashing import canonical_json, file_digest, text_digest
from wsgcn.io.h5store import INPUT_KEY, write_arrays
from wsgcn.io.layout import boundary_path
from wsgcn.models.backbones import load_state_file
from wsgcn.models.irnet import IRNet
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.runtime import select_device
from wsgcn.shard_runner import run_shard


def load_irnet(spec: Spec, model_path: str | Path, device: torch.device) -> IRNet:
    """A trained :class:`IRNet` in eval mode."""
    model = IRNet(spec["backbone"]["name"], weights="none", **spec["model"])
    model.load_state_dict(load_state_file(model_path))
    return model.to(device).eval()


def boundary_shard(
    spec: Spec, ids: Sequence[str], model_path: str, out_dir: str, manifest_path: str, device: str
) -> None:
    """Boundary map B (h, w) and node features V (160, h, w) per image, stored in the
    dtype ``infer.storage`` (float16 or float32)."""
    dataset = dataset_from_config(spec["dataset"])
    torch_device = select_device(device)
    stage_key = text_digest(canonical_json(spec["infer"]), file_digest(model_path), code_digest(__name__))
    storage = np.dtype(spec["infer"]["storage"])
    model: IRNet | None = None

    def key_of(image_id: str) -> str:
        return text_digest(stage_key, dataset.image_digest(image_id))

    def compute(image_id: str, path: Path, key: str) -> None:
        nonlocal model
        if model is None:
            model = load_irnet(spec, model_path, torch_device)
        rgb = dataset.load_image(image_id)
        boundary, features = boundary_and_features(model, rgb, spec["infer"]["pad_size"])
        if not (np.isfinite(boundary).all() and np.isfinite(features).all()):
            raise NumericalError(f"{image_id}: boundary map contains NaN or Inf; the model in {model_path} is broken")
        write_arrays(
            path,
            {"boundary": boundary.astype(storage), "features": features.astype(storage)},
            {INPUT_KEY: key, "image_id": image_id, "height": rgb.shape[0], "width": rgb.shape[1]},
        )

    run_shard(ids, key_of, lambda i: boundary_path(out_dir, i), compute, manifest_path)
