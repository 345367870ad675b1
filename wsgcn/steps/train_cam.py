"""Step ``train-cam``: train the CAM classifier (IRNet ``step/train_cam.py``).

The spec has keys ``dataset``, ``backbone`` (``name``, ``weights``) and ``train`` (the
config's ``cam.train``). The torch device is an argument of its own: it is not part of
a result's identity.
"""

from __future__ import annotations

from collections.abc import Sequence

from wsgcn.cam.train import CamTrainParams, train_cam
from wsgcn.data.dataset import dataset_from_config
from wsgcn.hashing import canonical_json, text_digest
from wsgcn.params import Spec
from wsgcn.provenance import code_digest
from wsgcn.runtime import select_device


def train_stage(
    spec: Spec, ids: Sequence[str], model_path: str, checkpoint_path: str, history_path: str, device: str
) -> None:
    """Train the CAM classifier on ``ids``; resumes from ``checkpoint_path`` when it matches.

    The checkpoint matches when the training config, the class names, the training code
    and every training image (its content, working size and labels) are the same: a
    replaced image or a corrected label retrains; a moved dataset folder does not.
    """
    dataset = dataset_from_config(spec["dataset"])
    images = [[image_id, dataset.image_digest(image_id), list(dataset.image_labels(image_id))] for image_id in ids]
    run_key = text_digest(
        canonical_json({"backbone": spec["backbone"], "train": spec["train"], "classes": dataset.class_names}),
        canonical_json(images),
        code_digest(__name__),
    )
    train_cam(
        dataset,
        ids,
        CamTrainParams.from_config(spec["train"]),
        spec["backbone"]["name"],
        spec["backbone"]["weights"],
        model_path,
        checkpoint_path,
        history_path,
        run_key,
        select_device(device),
    )
