"""Step ``gcn-crf``: the GCN's labels refined by the final dCRF (§5.5), the complete
pseudo labels, for a shard of images, from the log-probabilities that the ``gcn`` step
stored.

The spec has keys ``dataset`` and ``final_crf``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from wsgcn.cam.files import cam_result_path
from wsgcn.data.dataset import dataset_from_config
from wsgcn.gcn.decode import final_labels
from wsgcn.hashing import canonical_json, text_digest
from wsgcn.io.h5store import read_arrays
from wsgcn.io.label_png import stored_png_key, write_label_png
from wsgcn.io.layout import label_path, read_stored_scores, upstream_key
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.shard_runner import run_shard


def gcn_crf_shard(spec: Spec, ids: Sequence[str], cam_dir: str, gcn_dir: str, out_dir: str, manifest_path: str) -> None:
    """GCN + CRF label PNGs of ``ids`` in ``out_dir``."""
    dataset = dataset_from_config(spec["dataset"])
    crf_key = text_digest(canonical_json(spec["final_crf"]), code_digest(__name__))

    def key_of(image_id: str) -> str:
        gcn_result = upstream_key(label_path(gcn_dir, image_id), stored_png_key, "GCN label PNG")
        return text_digest(crf_key, gcn_result)

    def compute(image_id: str, path: Path, key: str) -> None:
        arrays, _ = read_stored_scores(gcn_dir, image_id, ("log_probs",), "gcn")
        keys, _ = read_arrays(cam_result_path(cam_dir, image_id), ("keys",))
        rgb = dataset.load_image(image_id)
        log_probs = torch.from_numpy(arrays["log_probs"])
        write_label_png(path, final_labels(log_probs, keys["keys"], rgb, spec["final_crf"]), key)

    run_shard(ids, key_of, lambda i: label_path(out_dir, i), compute, manifest_path, stored_png_key)
