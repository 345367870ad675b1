"""The stage folders of a run: which folder each stage of a setting writes, with its
parameters, its upstream folders and its step's spec.

A stage folder is ``<results>/<dataset>/<stage>/<hash>``, the hash being that of the
stage's parameters chained with its upstream stages' hashes. Two settings that agree on
everything a stage depends on get the same folder, so a sweep computes each distinct
folder once. :class:`StageRegistry` collects the folders of any number of settings; the
workflow has one rule per stage and finds a folder's record here by its path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wsgcn.data.dataset import Dataset
from wsgcn.data.ids import read_id_list
from wsgcn.errors import ConfigError
from wsgcn.hashing import canonical_json, stage_hash, text_digest
from wsgcn.segmentation.training_set import holdout_split

LABEL_SOURCES = {
    "gcn_crf": "GCN + CRF",
    "gcn": "GCN",
    "rw": "RW",
    "rw_crf": "RW + CRF",
    "ground_truth": "ground truth",
    "external": "external",
}
"""Label sets a segmenter can train on: config name -> title."""

LABEL_STAGES = {
    "ir_label": ("IR labels", True),
    "rw": ("RW", False),
    "rw_crf": ("RW + CRF", False),
    "partial": ("partial labels", True),
    "gcn": ("GCN", False),
    "gcn_crf": ("GCN + CRF", False),
    "seg": ("DeepLabv2", False),
    "seg_crf": ("DeepLabv2 + CRF", False),
}
"""Stages whose folders hold label PNGs: stage -> (title, partial labels?)."""

PSEUDO_LABEL_STAGES = ("ir_label", "rw", "rw_crf", "partial", "gcn", "gcn_crf")
"""The pseudo-label stages, in pipeline order."""


def segmenter_title(source: str, stage: str) -> str:
    """The title of a segmenter's labels: trained on the label set ``source``, ``stage``
    ``seg`` (without CRF) or ``seg_crf``."""
    return f"DeepLabv2 on {LABEL_SOURCES[source]} labels{' + CRF' if stage == 'seg_crf' else ''}"


def segmentation_split(
    dataset: Dataset, seg: Mapping[str, Any], infer_ids: Sequence[str], infer_list: str
) -> tuple[list[str], list[str], str, str | None]:
    """(train ids, eval ids, train list file, eval list file or None) of the segmenter of
    the ``segmentation`` section ``seg``: a held-out part of the train list, or the eval list."""
    train_list = str(dataset.root / seg["train_list"]) if seg["train_list"] else infer_list
    train_ids = list(infer_ids) if train_list == infer_list else read_id_list(train_list)
    if seg["holdout"]:
        if seg["holdout"] >= len(train_ids):
            raise ConfigError(f"segmentation.holdout: {seg['holdout']} leaves no training image of {len(train_ids)}")
        return (*holdout_split(train_ids, seg["holdout"], seg["holdout_seed"]), train_list, None)
    if not seg["eval_list"]:
        raise ConfigError("segmentation.eval_list: required when segmentation.holdout is 0")
    eval_list = str(dataset.root / seg["eval_list"])
    return train_ids, read_id_list(eval_list), train_list, eval_list


@dataclass(frozen=True)
class Stage:
    """One stage folder: ``stage`` (the rule that writes it), ``digest``, ``folder``;
    ``params`` (what its hash covers, recorded in its params.yaml), ``upstream`` (role ->
    upstream folder that its step reads) and ``spec`` (its step's config sections, without
    the dataset)."""

    stage: str
    digest: str
    folder: str
    params: Any
    upstream: dict[str, str]
    spec: dict[str, Any]

    def record(self, upstream_hash: str) -> dict[str, Any]:
        """Its params.yaml record."""
        return {"stage": self.stage, "hash": self.digest, "upstream": upstream_hash, "params": self.params}


@dataclass(frozen=True)
class RunIds:
    """The id lists a run's folders depend on (their digests enter the hashes)."""

    train: Sequence[str]
    seg_train: Sequence[str]
    seg_eval: Sequence[str]


@dataclass
class StageRegistry:
    """All stage folders of a run's settings: folder -> :class:`Stage`, and each folder's
    params.yaml record."""

    results: str
    dataset: Mapping[str, Any]
    stages: dict[str, Stage] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(
        self, stage: str, params: Any, upstream_hash: str, upstream: Mapping[str, str], spec: Mapping[str, Any]
    ) -> str:
        """Register a stage folder (once; an identical second registration is shared); returns its path."""
        digest = stage_hash(params, upstream_hash)
        folder = f"{self.results}/{self.dataset['name']}/{stage}/{digest}"
        entry = Stage(stage, digest, folder, params, dict(upstream), dict(spec))
        known = self.stages.setdefault(folder, entry)
        if known != entry:
            raise ConfigError(f"{folder}: two settings give this stage folder different inputs (a hash collision)")
        self.records[folder] = entry.record(upstream_hash)
        return folder

    def stage(self, folder: str) -> Stage:
        """The record of ``folder``; a :class:`ConfigError` for a folder no setting uses."""
        try:
            return self.stages[folder]
        except KeyError:
            raise ConfigError(f"{folder}: not a stage folder of this config's settings") from None

    def plan(self, config: Mapping[str, Any], ids: RunIds, segmentation: bool = True) -> dict[str, str]:
        """Register every folder of one setting ``config`` (a validated config); returns
        stage -> folder. ``segmentation`` adds its segmenter chain (seg_split, seg_data,
        train_seg, seg, seg_crf) for ``segmentation.labels``."""
        dataset_spec = {key: value for key, value in self.dataset.items() if key not in ("kind", "lists")}
        backbone = {"name": config["backbone"]["name"], "weights": config["backbone"]["weights"]}
        cam, irn, gcn = config["cam"], config["irn"], config["gcn"]
        walk = config["random_walk"]
        final_crf = config["final_crf"]
        train_ids = text_digest(*ids.train)
        digest = self._digest
        folders = self._cams(cam, backbone, train_ids)
        folders["cam_eval"] = self.add(
            "cam_eval", {"eval": cam["eval"]}, digest(folders["cam"]), {"cam": folders["cam"]}, {}
        )
        folders["ir_label"] = self.add(
            "ir_label",
            {"ir_label": irn["ir_label"]},
            digest(folders["cam"]),
            {"cam": folders["cam"]},
            {"ir_label": irn["ir_label"]},
        )
        folders["train_irn"] = self.add(
            "train_irn",
            {"backbone": backbone, "model": irn["model"], "train": irn["train"], "train_ids": train_ids},
            digest(folders["ir_label"]),
            {"ir_label": folders["ir_label"], "cams": folders.get("train_cam", folders["cam"])},
            {"backbone": backbone, "model": irn["model"], "train": irn["train"]},
        )
        folders["boundary"] = self.add(
            "boundary",
            {"infer": irn["infer"]},
            digest(folders["train_irn"]),
            {"train_irn": folders["train_irn"], "cam": folders["cam"]},
            {"backbone": backbone, "model": irn["model"], "infer": irn["infer"]},
        )
        folders["rw"] = self.add(
            "rw",
            {"random_walk": walk},
            digest(folders["boundary"]),
            {"cam": folders["cam"], "boundary": folders["boundary"]},
            {"random_walk": walk},
        )
        folders["rw_crf"] = self.add(
            "rw_crf",
            {"final_crf": final_crf},
            digest(folders["rw"]),
            {"rw": folders["rw"]},
            {"random_walk": walk, "final_crf": final_crf},
        )
        folders["partial"] = self.add(
            "partial",
            {"partial_labels": gcn["partial_labels"]},
            digest(folders["cam"]),
            {"cam": folders["cam"]},
            {"gcn": {"partial_labels": gcn["partial_labels"]}},
        )
        graph_walk = {key: walk[key] for key in ("radius", "beta", "exp_times")}
        folders["gcn"] = self.add(
            "gcn",
            {"graph": gcn["graph"], "train": gcn["train"], "walk": graph_walk},
            text_digest(digest(folders["partial"]), digest(folders["boundary"])),
            {"partial": folders["partial"], "boundary": folders["boundary"]},
            {"gcn": {"graph": gcn["graph"], "train": gcn["train"]}, "random_walk": graph_walk},
        )
        folders["gcn_crf"] = self.add(
            "gcn_crf",
            {"final_crf": final_crf},
            digest(folders["gcn"]),
            {"gcn": folders["gcn"], "cam": folders["cam"]},
            {"final_crf": final_crf},
        )
        if segmentation:
            folders.update(self._segmentation(config["segmentation"], ids, folders, dataset_spec))
        return folders

    def _digest(self, folder: str) -> str:
        return self.stages[folder].digest

    def _cams(self, cam: Mapping[str, Any], backbone: Mapping[str, Any], train_ids: str) -> dict[str, str]:
        """The CAM folders: ``train_cam`` and ``cam`` (internal), or the ``cam_import``
        folder of another method's CAMs as ``cam`` (``cam.source: external``)."""
        if cam["source"] == "external":
            external = cam["external"]
            if not external["dir"]:
                raise ConfigError("cam.external.dir: required with cam.source external")
            stored = {key: cam["infer"][key] for key in ("power", "storage", "mantissa_bits")}
            spec = {"external": dict(external), "infer": stored}
            return {"cam": self.add("cam_import", spec, "", {}, spec)}
        train_cam = self.add(
            "train_cam",
            {
                "backbone": backbone,
                "train": cam["train"],
                "class_names": self.dataset["class_names"],
                "train_ids": train_ids,
            },
            "",
            {},
            {"backbone": backbone, "train": cam["train"]},
        )
        cams = self.add(
            "cam",
            {"infer": cam["infer"]},
            self._digest(train_cam),
            {"train_cam": train_cam},
            {"backbone": backbone, "infer": cam["infer"]},
        )
        return {"train_cam": train_cam, "cam": cams}

    def _segmentation(
        self, seg: Mapping[str, Any], ids: RunIds, folders: Mapping[str, str], dataset_spec: Mapping[str, Any]
    ) -> dict[str, str]:
        source = seg["labels"]
        chain: dict[str, str] = {}
        chain["seg_split"] = self.add(
            "seg_split",
            {
                "train": text_digest(*ids.seg_train),
                "eval": text_digest(*ids.seg_eval),
                "holdout": seg["holdout"],
                "holdout_seed": seg["holdout_seed"],
            },
            "",
            {},
            {},
        )
        label_folder = folders.get(source)
        labels = {"labels": source, "train_ids": text_digest(*ids.seg_train)}
        if source == "external":
            if not seg["external_labels_dir"]:
                raise ConfigError("segmentation.external_labels_dir: required with the label set external")
            labels["label_dir"] = seg["external_labels_dir"]
        # the ground truth's and external labels' chains hang off the dataset
        upstream_hash = (
            self._digest(label_folder) if label_folder else text_digest(canonical_json({"dataset": dataset_spec}))
        )
        chain["seg_data"] = self.add(
            "seg_data",
            labels,
            upstream_hash,
            {"seg_split": chain["seg_split"], **({"labels": label_folder} if label_folder else {})},
            {},
        )
        chain["train_seg"] = self.add(
            "train_seg",
            {"model": seg["model"], "train": seg["train"]},
            self._digest(chain["seg_data"]),
            {"seg_data": chain["seg_data"]},
            {"segmentation": {"model": seg["model"], "train": seg["train"]}},
        )
        chain["seg"] = self.add(
            "seg",
            {"eval_ids": text_digest(*ids.seg_eval)},
            self._digest(chain["train_seg"]),
            {"train_seg": chain["train_seg"], "seg_split": chain["seg_split"]},
            {"segmentation": {"model": seg["model"]}},
        )
        chain["seg_crf"] = self.add(
            "seg_crf",
            {"crf": seg["crf"]},
            self._digest(chain["seg"]),
            {"seg": chain["seg"], "seg_split": chain["seg_split"]},
            {"segmentation": {"crf": seg["crf"]}},
        )
        return chain
