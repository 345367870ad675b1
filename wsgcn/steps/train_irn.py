"""Step ``train-irn``: train IRNet's boundary and displacement branches on the IR labels
(IRNet ``step/train_irn.py``).

The spec has keys ``dataset``, ``backbone`` (``name``, ``weights``), ``model`` and
``train`` (the config's ``irn.model`` and ``irn.train``).
"""

from __future__ import annotations

from collections.abc import Sequence

from wsgcn.affinity.train import IrnTrainParams, train_irn
from wsgcn.data.dataset import dataset_from_config
from wsgcn.hashing import canonical_json, text_digest
from wsgcn.io.label_png import stored_png_key
from wsgcn.io.layout import label_path, upstream_key
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.runtime import select_device


def train_stage(
    spec: Spec, ids: Sequence[str], ir_dir: str, model_path: str, checkpoint_path: str, history_path: str, device: str
) -> None:
    """Train IRNet on ``ids`` with the IR labels in ``ir_dir``; resumes from a matching checkpoint."""
    dataset = dataset_from_config(spec["dataset"])
    label_keys = [upstream_key(label_path(ir_dir, i), stored_png_key, "IR label") for i in ids]
    run_key = text_digest(
        canonical_json(spec["train"]),
        canonical_json(spec["backbone"]),
        canonical_json(spec["model"]),
        canonical_json(label_keys),
        code_digest(__name__),
    )
    train_irn(
        dataset,
        ids,
        lambda image_id: label_path(ir_dir, image_id),
        IrnTrainParams.from_config(spec["train"]),
        spec["backbone"]["name"],
        spec["backbone"]["weights"],
        spec["model"],
        model_path,
        checkpoint_path,
        history_path,
        run_key,
        select_device(device),
    )
