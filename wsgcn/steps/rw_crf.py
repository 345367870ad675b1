"""Step ``rw-crf``: the random walk's labels refined by the final dCRF (RW + CRF), for a
shard of images, from the walked scores that the ``random-walk`` step stored.

The spec has keys ``dataset``, ``random_walk`` (its ``background_threshold``) and
``final_crf``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from wsgcn.affinity.random_walk import crf_refined_labels, walk_labels
from wsgcn.crf import CrfParams
from wsgcn.data.dataset import dataset_from_config
from wsgcn.hashing import canonical_json, text_digest
from wsgcn.io.label_png import stored_png_key, write_label_png
from wsgcn.io.layout import label_path, read_stored_scores, upstream_key
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.shard_runner import run_shard


def rw_crf_shard(spec: Spec, ids: Sequence[str], rw_dir: str, out_dir: str, manifest_path: str) -> None:
    """RW + CRF label PNGs of ``ids`` in ``out_dir``."""
    dataset = dataset_from_config(spec["dataset"])
    threshold = spec["random_walk"]["background_threshold"]
    crf = CrfParams.from_config(spec["final_crf"], "final_crf", {"softmax_quirk"})
    crf_key = text_digest(
        canonical_json({"final_crf": spec["final_crf"], "threshold": threshold}), code_digest(__name__)
    )

    def key_of(image_id: str) -> str:
        walk_key = upstream_key(label_path(rw_dir, image_id), stored_png_key, "RW label PNG")
        return text_digest(crf_key, walk_key, dataset.image_digest(image_id))

    def compute(image_id: str, path: Path, key: str) -> None:
        arrays, attrs = read_stored_scores(rw_dir, image_id, ("walked", "keys"), "random_walk")
        size = (int(attrs["height"]), int(attrs["width"]))
        _, scores = walk_labels(arrays["walked"], arrays["keys"], size, threshold)
        rgb = dataset.load_image(image_id)
        labels = crf_refined_labels(rgb, scores, arrays["keys"], threshold, crf, spec["final_crf"]["softmax_quirk"])
        write_label_png(path, labels, key)

    run_shard(ids, key_of, lambda i: label_path(out_dir, i), compute, manifest_path, stored_png_key)
