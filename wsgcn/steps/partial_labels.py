"""Step ``partial-labels``: WSGCN's partial pseudo labels of a shard of images (§5.3).

The spec has keys ``dataset`` and ``gcn`` (only its ``partial_labels`` section). The
labels are stored nearest-upsampled to the image size (PNG), so they are evaluated like
IR labels; the ``gcn`` step reads them back at the stride-4 grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from wsgcn.cam.files import cam_result_path, read_cam
from wsgcn.data.dataset import dataset_from_config
from wsgcn.gcn.partial_labels import image_partial_labels
from wsgcn.hashing import canonical_json, text_digest
from wsgcn.io.h5store import stored_key
from wsgcn.io.label_png import stored_png_key, write_label_png
from wsgcn.io.layout import label_path, upstream_key
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.shard_runner import run_shard


def upsample_nearest(labels: np.ndarray, factor: int, size: tuple[int, int]) -> np.ndarray:
    """(h, w) -> (H, W): each grid cell repeated ``factor`` times, cropped to ``size``."""
    return labels.repeat(factor, axis=0).repeat(factor, axis=1)[: size[0], : size[1]]


def partial_label_shard(spec: Spec, ids: Sequence[str], cam_dir: str, out_dir: str, manifest_path: str) -> None:
    """Partial label PNG (nearest-upsampled to the image size) of every image in ``ids``."""
    dataset = dataset_from_config(spec["dataset"])
    section = spec["gcn"]["partial_labels"]
    stage_key = text_digest(canonical_json(section), code_digest(__name__))

    def key_of(image_id: str) -> str:
        cam_key = upstream_key(cam_result_path(cam_dir, image_id), stored_key, "CAM file")
        return text_digest(stage_key, cam_key, dataset.image_digest(image_id))

    def compute(image_id: str, path: Path, key: str) -> None:
        arrays = read_cam(cam_result_path(cam_dir, image_id), ("keys", "cam"))
        rgb = dataset.load_image(image_id)
        labels = image_partial_labels(rgb, arrays["cam"], arrays["keys"], section)
        write_label_png(path, upsample_nearest(labels, 4, rgb.shape[:2]), key)

    run_shard(ids, key_of, lambda i: label_path(out_dir, i), compute, manifest_path, stored_png_key)
