"""Step ``seg-crf``: the segmenter's labels refined by the CRF of §8, for a shard of
images, from the logits that the ``segment`` step stored.

The spec has keys ``dataset`` and ``segmentation`` (``crf``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from wsgcn.crf import CrfParams, crf_from_scores
from wsgcn.data.dataset import dataset_from_config
from wsgcn.hashing import canonical_json, text_digest
from wsgcn.io.label_png import stored_png_key, write_label_png
from wsgcn.io.layout import label_path, read_stored_scores, upstream_key
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.segmentation.deeplab import logits_probabilities
from wsgcn.shard_runner import run_shard


def seg_crf_shard(spec: Spec, ids: Sequence[str], seg_dir: str, out_dir: str, manifest_path: str) -> None:
    """Segmentation + CRF label PNGs of ``ids`` in ``out_dir``."""
    dataset = dataset_from_config(spec["dataset"])
    crf_config = spec["segmentation"]["crf"]
    crf = CrfParams.from_config(crf_config, "segmentation.crf")
    crf_key = text_digest(canonical_json(crf_config), code_digest(__name__))

    def key_of(image_id: str) -> str:
        seg_key = upstream_key(label_path(seg_dir, image_id), stored_png_key, "segmentation label PNG")
        return text_digest(crf_key, seg_key)

    def compute(image_id: str, path: Path, key: str) -> None:
        arrays, _ = read_stored_scores(seg_dir, image_id, ("logits",), "segment")
        rgb = dataset.load_image(image_id)
        probs = logits_probabilities(torch.from_numpy(arrays["logits"]), rgb.shape[:2]).numpy()
        marginals = crf_from_scores(rgb, probs, crf, softmax_quirk=False, normalise=False)
        write_label_png(path, marginals.argmax(axis=0).astype(np.uint8), key)

    run_shard(ids, key_of, lambda i: label_path(out_dir, i), compute, manifest_path, stored_png_key)
