"""Step ``ir-label``: the IR labels of a shard of images from their high-res CAMs (IRNet
``step/cam_to_ir_label.py``).

The spec has keys ``dataset`` and ``ir_label`` (the config's ``irn.ir_label``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from wsgcn.affinity.ir_labels import ir_label
from wsgcn.cam.files import cam_result_path, read_cam
from wsgcn.crf import CrfParams
from wsgcn.data.dataset import dataset_from_config
from wsgcn.hashing import canonical_json, text_digest
from wsgcn.io.h5store import stored_key
from wsgcn.io.label_png import stored_png_key, write_label_png
from wsgcn.io.layout import label_path, upstream_key
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.shard_runner import run_shard


def ir_label_shard(spec: Spec, ids: Sequence[str], cam_dir: str, out_dir: str, manifest_path: str) -> None:
    """IR label PNG (0 background, class + 1, 255 unsure) of every image in ``ids``."""
    dataset = dataset_from_config(spec["dataset"])
    params = spec["ir_label"]
    crf = CrfParams.from_config(params["crf"], "irn.ir_label.crf", {"gt_prob"})
    stage_key = text_digest(canonical_json(params), code_digest(__name__))

    def key_of(image_id: str) -> str:
        cam_key = upstream_key(cam_result_path(cam_dir, image_id), stored_key, "CAM file")
        return text_digest(stage_key, cam_key, dataset.image_digest(image_id))

    def compute(image_id: str, path: Path, key: str) -> None:
        arrays = read_cam(cam_result_path(cam_dir, image_id), ("keys", "high_res"))
        rgb = dataset.load_image(image_id)
        label = ir_label(
            rgb,
            arrays["high_res"],
            arrays["keys"],
            params["fg_threshold"],
            params["bg_threshold"],
            params["crf"]["gt_prob"],
            crf,
        )
        write_label_png(path, label, key)

    run_shard(ids, key_of, lambda i: label_path(out_dir, i), compute, manifest_path, stored_png_key)
