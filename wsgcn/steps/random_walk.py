"""Step ``random-walk``: IRNet's random-walk labels of a shard of images (IRNet
``step/make_sem_seg_labels.py``).

The spec has keys ``dataset`` and ``random_walk``. Per image, the rw folder holds the label
PNG and the walked scores at stride 4 (HDF5, read by the ``rw-crf`` step). Per-image
results carry an input key built from their parameters, the code and the keys of the
upstream CAM and boundary files, so only images whose inputs changed recompute.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from wsgcn.affinity.random_walk import walk_labels, walk_scores
from wsgcn.cam.files import cam_result_path, read_cam
from wsgcn.hashing import canonical_json, text_digest
from wsgcn.io.h5store import INPUT_KEY, read_arrays, stored_key, write_arrays
from wsgcn.io.label_png import stored_png_key, write_label_png
from wsgcn.io.layout import boundary_path, label_path, scores_path, upstream_key
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.runtime import select_device
from wsgcn.shard_runner import run_shard


def random_walk_shard(
    spec: Spec,
    ids: Sequence[str],
    cam_dir: str,
    boundary_dir: str,
    out_dir: str,
    manifest_path: str,
    device: str,
) -> None:
    """RW label PNGs and walked scores (HDF5) of ``ids`` in ``out_dir``."""
    torch_device = select_device(device)
    walk = spec["random_walk"]
    walk_key = text_digest(canonical_json(walk), code_digest(__name__))

    def key_of(image_id: str) -> str:
        cam_key = upstream_key(cam_result_path(cam_dir, image_id), stored_key, "CAM file")
        boundary_key = upstream_key(boundary_path(boundary_dir, image_id), stored_key, "boundary file")
        return text_digest(walk_key, cam_key, boundary_key)

    def compute(image_id: str, path: Path, key: str) -> None:
        arrays = read_cam(cam_result_path(cam_dir, image_id), ("keys", "cam"))
        stored, attrs = read_arrays(boundary_path(boundary_dir, image_id), ("boundary",))
        size = (int(attrs["height"]), int(attrs["width"]))
        walked = walk_scores(
            arrays["cam"],
            stored["boundary"].astype(np.float32),
            walk["radius"],
            walk["beta"],
            walk["exp_times"],
            torch_device,
        )
        labels, _ = walk_labels(walked, arrays["keys"], size, walk["background_threshold"])
        # the scores first: the PNG's key is what marks the image done
        write_arrays(
            scores_path(out_dir, image_id),
            {"walked": walked, "keys": arrays["keys"]},
            {INPUT_KEY: key, "image_id": image_id, "height": size[0], "width": size[1]},
        )
        write_label_png(path, labels, key)

    run_shard(ids, key_of, lambda i: label_path(out_dir, i), compute, manifest_path, stored_png_key)
