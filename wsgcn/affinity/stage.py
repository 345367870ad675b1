"""The affinity stage as file-to-file steps: IR labels, IRNet training, boundary maps,
random walk (with and without the final dCRF), evaluation.

Each function takes a *spec*, the JSON-ready dict the workflow passes, with keys
``dataset``, ``backbone`` (``name``, ``weights``), ``ir_label``, ``train``, ``infer``
(the config's ``irn`` section), ``random_walk`` and ``final_crf``. Per-image results
carry an input key built from their parameters, the code, the image and the keys of the
upstream per-image results they read, so only images whose inputs changed recompute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wsgcn.affinity.boundary import boundary_and_features
from wsgcn.affinity.ir_labels import ir_label
from wsgcn.affinity.random_walk import random_walk_labels
from wsgcn.affinity.train import IrnTrainParams, train_irn
from wsgcn.cam.files import cam_result_path, read_cam
from wsgcn.crf import CrfParams, crf_from_scores
from wsgcn.data.dataset import Dataset, dataset_from_config
from wsgcn.errors import InputError, NumericalError
from wsgcn.evaluation.label_maps import evaluate_label_maps
from wsgcn.evaluation.tables import iou_table, write_table
from wsgcn.hashing import canonical_json, file_digest, text_digest
from wsgcn.io.h5store import INPUT_KEY, read_arrays, stored_key, write_arrays
from wsgcn.io.label_png import stored_png_key, write_label_png
from wsgcn.models.backbones import load_state_file
from wsgcn.models.irnet import IRNet
from wsgcn.provenance import code_digest
from wsgcn.runtime import select_device
from wsgcn.shard_runner import run_shard

log = logging.getLogger(__name__)

Spec = Mapping[str, Any]


def label_path(folder: str | Path, image_id: str) -> Path:
    """Where a per-image label PNG lives inside a stage's results folder."""
    return Path(folder) / "images" / f"{image_id}.png"


def boundary_path(folder: str | Path, image_id: str) -> Path:
    """Where the boundary HDF5 file (B and V) of ``image_id`` lives."""
    return Path(folder) / "images" / f"{image_id}.h5"


def upstream_key(path: Path, reader: Callable[[Path], str | None], what: str) -> str:
    key = reader(path)
    if key is None:
        raise InputError(f"{path}: missing or unreadable {what}; rerun the stage that writes it")
    return key


def _read_cam(cam_dir: str, image_id: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    arrays = read_cam(cam_result_path(cam_dir, image_id), ("keys", "cam", "high_res"))
    return arrays["keys"], arrays


def ir_label_shard(spec: Spec, ids: Sequence[str], cam_dir: str, out_dir: str, manifest_path: str) -> None:
    """IR label PNG of every image in ``ids`` from its high-res CAM (IRNet ``cam_to_ir_label``)."""
    dataset = dataset_from_config(spec["dataset"])
    params = spec["ir_label"]
    crf = CrfParams.from_config(params["crf"])
    stage_key = text_digest(canonical_json(params), code_digest(__name__))

    def key_of(image_id: str) -> str:
        cam_key = upstream_key(cam_result_path(cam_dir, image_id), stored_key, "CAM file")
        return text_digest(stage_key, cam_key, dataset.image_digest(image_id))

    def compute(image_id: str, path: Path, key: str) -> None:
        keys, arrays = _read_cam(cam_dir, image_id)
        rgb = dataset.load_image(image_id)
        label = ir_label(rgb, arrays["high_res"], keys, params["fg_threshold"], params["bg_threshold"], params["crf"]["gt_prob"], crf)
        write_label_png(path, label, key)

    run_shard(ids, key_of, lambda i: label_path(out_dir, i), compute, manifest_path, stored_png_key)


def train_stage(
    spec: Spec, ids: Sequence[str], ir_dir: str, model_path: str, checkpoint_path: str, history_path: str, device: str = "auto"
) -> None:
    """Train IRNet on ``ids`` with the IR labels in ``ir_dir``; resumes from a matching checkpoint."""
    dataset = dataset_from_config(spec["dataset"])
    label_keys = [upstream_key(label_path(ir_dir, i), stored_png_key, "IR label") for i in ids]
    run_key = text_digest(canonical_json(spec["train"]), canonical_json(spec["backbone"]), canonical_json(label_keys), code_digest(__name__))
    train_irn(
        dataset,
        ids,
        lambda image_id: label_path(ir_dir, image_id),
        IrnTrainParams.from_config(spec["train"]),
        spec["backbone"]["name"],
        spec["backbone"]["weights"],
        model_path,
        checkpoint_path,
        history_path,
        run_key,
        select_device(device),
    )


def load_irnet(spec: Spec, model_path: str | Path, device: torch.device) -> IRNet:
    """A trained :class:`IRNet` in eval mode."""
    model = IRNet(spec["backbone"]["name"], weights="none")
    model.load_state_dict(load_state_file(model_path))
    return model.to(device).eval()


def boundary_shard(spec: Spec, ids: Sequence[str], model_path: str, out_dir: str, manifest_path: str, device_name: str = "auto") -> None:
    """Boundary map B (h, w) and node features V (160, h, w), float16, per image."""
    dataset = dataset_from_config(spec["dataset"])
    device = select_device(device_name)
    stage_key = text_digest(canonical_json(spec["infer"]), file_digest(model_path), code_digest(__name__))
    model: IRNet | None = None

    def key_of(image_id: str) -> str:
        return text_digest(stage_key, dataset.image_digest(image_id))

    def compute(image_id: str, path: Path, key: str) -> None:
        nonlocal model
        if model is None:
            model = load_irnet(spec, model_path, device)
        rgb = dataset.load_image(image_id)
        boundary, features = boundary_and_features(model, rgb, spec["infer"]["pad_size"])
        if not (np.isfinite(boundary).all() and np.isfinite(features).all()):
            raise NumericalError(f"{image_id}: boundary map contains NaN or Inf; the model in {model_path} is broken")
        write_arrays(
            path,
            {"boundary": boundary.astype(np.float16), "features": features.astype(np.float16)},
            {INPUT_KEY: key, "image_id": image_id, "height": rgb.shape[0], "width": rgb.shape[1]},
        )

    run_shard(ids, key_of, lambda i: boundary_path(out_dir, i), compute, manifest_path)


def _walk(spec: Spec, dataset: Dataset, cam_dir: str, boundary_dir: str, image_id: str, device: torch.device):
    keys, arrays = _read_cam(cam_dir, image_id)
    stored, attrs = read_arrays(boundary_path(boundary_dir, image_id), ("boundary",))
    size = (int(attrs["height"]), int(attrs["width"]))
    walk = spec["random_walk"]
    labels, scores = random_walk_labels(
        arrays["cam"],
        keys,
        stored["boundary"].astype(np.float32),
        size,
        walk["radius"],
        walk["beta"],
        walk["exp_times"],
        walk["background_threshold"],
        device,
    )
    return keys, labels, scores


def random_walk_shard(
    spec: Spec,
    ids: Sequence[str],
    cam_dir: str,
    boundary_dir: str,
    rw_dir: str,
    rw_crf_dir: str,
    rw_manifest: str,
    rw_crf_manifest: str,
    device_name: str = "auto",
) -> None:
    """RW labels (IRNet ``make_sem_seg_labels``) and RW labels refined by the final dCRF."""
    dataset = dataset_from_config(spec["dataset"])
    device = select_device(device_name)
    code = code_digest(__name__)
    walk_key = text_digest(canonical_json(spec["random_walk"]), code)
    crf_key = text_digest(canonical_json(spec["final_crf"]), walk_key)
    crf = CrfParams.from_config(spec["final_crf"])
    walked: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def upstream(image_id: str) -> str:
        cam_key = upstream_key(cam_result_path(cam_dir, image_id), stored_key, "CAM file")
        return text_digest(cam_key, upstream_key(boundary_path(boundary_dir, image_id), stored_key, "boundary file"))

    def walk_of(image_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if image_id not in walked:
            walked.clear()
            walked[image_id] = _walk(spec, dataset, cam_dir, boundary_dir, image_id, device)
        return walked[image_id]

    def compute_rw(image_id: str, path: Path, key: str) -> None:
        write_label_png(path, walk_of(image_id)[1], key)

    def compute_crf(image_id: str, path: Path, key: str) -> None:
        keys, _, scores = walk_of(image_id)
        rgb = dataset.load_image(image_id)
        background = np.full((1, *scores.shape[1:]), spec["random_walk"]["background_threshold"], np.float32)
        marginals = crf_from_scores(rgb, np.concatenate([background, scores]), crf, spec["final_crf"]["softmax_quirk"])
        lookup = np.concatenate([[0], keys + 1]).astype(np.uint8)
        write_label_png(path, lookup[marginals.argmax(axis=0)], key)

    run_shard(ids, lambda i: text_digest(walk_key, upstream(i)), lambda i: label_path(rw_dir, i), compute_rw, rw_manifest, stored_png_key)
    run_shard(
        ids,
        lambda i: text_digest(crf_key, upstream(i), dataset.image_digest(i)),
        lambda i: label_path(rw_crf_dir, i),
        compute_crf,
        rw_crf_manifest,
        stored_png_key,
    )


def evaluate_labels(
    spec: Spec, ids: Sequence[str], folder: str, what: str, partial: bool, csv_path: str, markdown_path: str
) -> float:
    """Evaluate the label PNGs in ``folder``; writes the per-class table, returns mIoU (%).

    ``partial`` labels (IR labels) are scored on their labelled pixels only, and the
    table's title gives the labelled fraction.
    """
    dataset = dataset_from_config(spec["dataset"])
    confusion, labelled = evaluate_label_maps(dataset, ids, lambda i: label_path(folder, i), partial)
    table = iou_table(confusion, dataset.class_names)
    miou = float(table["iou"].iloc[-1])
    title = f"{what} mIoU ({len(ids)} images)"
    if partial:
        title = f"{what} precision mIoU on labelled pixels, {100 * labelled:.1f} % of pixels labelled ({len(ids)} images)"
    write_table(table, csv_path, markdown_path, title)
    log.info("%s mIoU %.2f %% over %d images (labelled %.1f %%)", what, miou, len(ids), 100 * labelled)
    return miou
