"""Step ``import-cam``: another method's CAMs of a shard of images, checked and written
as this project's CAM files (the ``cam.source: external`` replacement of steps
``train-cam`` and ``cam``).

The spec has keys ``dataset``, ``external`` (the config's ``cam.external``) and ``infer``
(``power``, ``storage`` and ``mantissa_bits`` of ``cam.infer``). Each image's key covers
the external file's bytes, so replacing one file recomputes that image only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from wsgcn.cam.external import read_external_cam
from wsgcn.cam.files import cam_result_path, encode_cam_map, external_cam_path
from wsgcn.data.dataset import dataset_from_config
from wsgcn.errors import InputError
from wsgcn.hashing import canonical_json, file_digest, text_digest
from wsgcn.io.h5store import INPUT_KEY, write_arrays
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.shard_runner import run_shard

log = logging.getLogger(__name__)


def import_shard(spec: Spec, ids: Sequence[str], cam_dir: str, manifest_path: str) -> None:
    """Check and store the external CAM file of every image in ``ids`` (raised to
    ``infer.power``, stored as ``infer.storage``); write the manifest."""
    dataset = dataset_from_config(spec["dataset"])
    external, infer = spec["external"], spec["infer"]
    keys_from_file = external["keys"] == "from_file"
    stage_key = text_digest(canonical_json({"external": external, "infer": infer}), code_digest(__name__))

    def source(image_id: str) -> Path:
        path = external_cam_path(external["dir"], image_id, external["format"])
        if not path.is_file():
            raise InputError(f"{path}: no external CAM file for image {image_id!r} (cam.external.dir)")
        return path

    def image_keys(image_id: str) -> list[int]:
        return [] if keys_from_file else list(dataset.image_labels(image_id))

    def key_of(image_id: str) -> str:
        labels = canonical_json(image_keys(image_id))
        return text_digest(stage_key, file_digest(source(image_id)), dataset.image_digest(image_id), labels)

    def compute(image_id: str, path: Path, key: str) -> None:
        rgb = dataset.load_image(image_id)
        path_in = source(image_id)
        cams = read_external_cam(path_in, external["format"], image_keys(image_id), rgb.shape[:2], keys_from_file)
        classes = len(dataset.class_names)
        if len(cams.keys) and not 0 <= cams.keys.min() <= cams.keys.max() < classes:
            raise InputError(f"{path_in}: keys {cams.keys.tolist()} are not class indices 0..{classes - 1}")
        if len(cams.keys) == 0:
            log.warning("%s has no foreground class: its CAM has no channels", image_id)
        write_arrays(
            path,
            {
                "keys": cams.keys.astype(np.int16),
                "cam": encode_cam_map(cams.cam ** infer["power"], infer["storage"], infer["mantissa_bits"]),
                "high_res": encode_cam_map(cams.high_res ** infer["power"], infer["storage"], infer["mantissa_bits"]),
            },
            {INPUT_KEY: key, "image_id": image_id, "height": rgb.shape[0], "width": rgb.shape[1]},
        )

    run_shard(ids, key_of, lambda image_id: cam_result_path(cam_dir, image_id), compute, manifest_path)
