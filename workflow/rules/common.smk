# Helpers shared by all rules: config validation, image lists, shards, stage hashes
# and paths. No rule is defined here.

import json
import sys
from pathlib import Path

from snakemake.utils import validate

from wsgcn.data.dataset import dataset_from_config
from wsgcn.data.demo import demo_ids
from wsgcn.data.ids import read_id_list
from wsgcn.errors import WsgcnError
from wsgcn.hashing import canonical_json, files_digest, stage_hash, text_digest
from wsgcn.provenance import module_sources
from wsgcn.sharding import make_shards
from wsgcn.step_registry import step_command

validate(config, "../../config/schema.yaml")

PYTHON = sys.executable
RESULTS = config["results_dir"]
DATASET_CONFIG = config["dataset"]
DATASET_NAME = DATASET_CONFIG["name"]
DATASET = dataset_from_config(DATASET_CONFIG)
DEVICE = config["device"]


def _read_lists():
    """(train, infer, eval) id lists and the list files they came from."""
    if DATASET_CONFIG["kind"] == "demo":
        ids = demo_ids(config["demo"]["num_images"])
        path = str(DATASET.root / "ImageSets" / "Segmentation" / "train.txt")
        return (ids, ids, ids), (path, path, path)
    lists = DATASET_CONFIG.get("lists", {})
    missing = [name for name in ("train", "infer", "eval") if name not in lists]
    if missing:
        raise WsgcnError(f"dataset.lists: {missing} required for dataset.kind 'voc'")
    paths = tuple(str(DATASET.root / lists[name]) for name in ("train", "infer", "eval"))
    return tuple(read_id_list(p) for p in paths), paths


(TRAIN_IDS, INFER_IDS, EVAL_IDS), (TRAIN_LIST, INFER_LIST, EVAL_LIST) = _read_lists()
_not_inferred = sorted(set(EVAL_IDS) - set(INFER_IDS))
if _not_inferred:
    raise WsgcnError(
        f"dataset.lists.eval: {len(_not_inferred)} ids are not in the infer list, e.g. {_not_inferred[:3]}"
    )

SHARDS = make_shards(INFER_IDS, config["sharding"]["images_per_shard"])
SHARD_OF = {image_id: shard for shard, ids in SHARDS.items() for image_id in ids}


wildcard_constraints:
    shard=r"s\d{4}-of-\d{4}|img-[A-Za-z0-9_][A-Za-z0-9_.\-]*",


# --- stage hashes: parameters chained with the upstream stage's hash -----------------

STAGE_PARAMS = {}


def _stage(name, params, upstream=""):
    """Register a stage; returns its results folder <results>/<dataset>/<name>/<hash>."""
    digest = stage_hash(params, upstream)
    folder = f"{RESULTS}/{DATASET_NAME}/{name}/{digest}"
    STAGE_PARAMS[folder] = {"stage": name, "hash": digest, "upstream": upstream, "params": params}
    return folder, digest


DATASET_SPEC = {key: value for key, value in DATASET_CONFIG.items() if key not in ("kind", "lists")}
BACKBONE_SPEC = {"name": config["backbone"]["name"], "weights": config["backbone"]["weights"]}

TRAIN_CAM_DIR, TRAIN_CAM_HASH = _stage(
    "train_cam",
    {
        "backbone": BACKBONE_SPEC,
        "train": config["cam"]["train"],
        "class_names": DATASET_CONFIG["class_names"],
        "train_ids": text_digest(*TRAIN_IDS),
    },
)
CAM_DIR, CAM_HASH = _stage("cam", {"infer": config["cam"]["infer"]}, TRAIN_CAM_HASH)


def step_spec(**sections):
    """The --spec JSON of a step: the dataset plus only the config sections the step reads,
    so that changing a value reruns (through Snakemake's params trigger) only the rules
    that use it."""
    return canonical_json({"dataset": DATASET_SPEC, **sections})


CHECK_DIR = f"{RESULTS}/{DATASET_NAME}/input_check"
CHECK_SPEC = step_spec()


def step_code(*steps):
    """The source files of the step modules ``wsgcn.steps.<step>`` and of every ``wsgcn``
    module they import: a rule's ``code`` input, so that editing a file reruns the steps
    that run it and no others."""
    return sorted({str(path) for step in steps for path in module_sources(f"wsgcn.steps.{step}")})


CHECK_CODE = step_code("check_inputs")

# The code of each training job that has an ancient() input, for its code stamp (rule
# code_stamp): job name -> step modules.
CODE_STAMPS = {"train_cam": ("train_cam",), "train_irn": ("train_irn", "ir_label", "cam")}
CODE_STAMP_DIR = f"{RESULTS}/{DATASET_NAME}/code"

MASK_IDS = set(INFER_IDS) if DATASET.label_source == "mask" else set(EVAL_IDS)

TRAIN_CAM_SPEC = step_spec(backbone=BACKBONE_SPEC, train=config["cam"]["train"])
CAM_SPEC = step_spec(backbone=BACKBONE_SPEC, infer=config["cam"]["infer"])

_not_inferred = sorted(set(TRAIN_IDS) - set(INFER_IDS))
if _not_inferred:
    raise WsgcnError(
        f"dataset.lists.train: {len(_not_inferred)} ids are not in the infer list, e.g. {_not_inferred[:3]};"
        " IRNet trains on the IR labels of inferred images"
    )

IRN = config["irn"]
IR_LABEL_DIR, IR_LABEL_HASH = _stage("ir_label", {"ir_label": IRN["ir_label"]}, CAM_HASH)
TRAIN_IRN_DIR, TRAIN_IRN_HASH = _stage(
    "train_irn",
    {"backbone": BACKBONE_SPEC, "model": IRN["model"], "train": IRN["train"], "train_ids": text_digest(*TRAIN_IDS)},
    IR_LABEL_HASH,
)
BOUNDARY_DIR, BOUNDARY_HASH = _stage("boundary", {"infer": IRN["infer"]}, TRAIN_IRN_HASH)
RW_DIR, RW_HASH = _stage("rw", {"random_walk": config["random_walk"]}, BOUNDARY_HASH)
RW_CRF_DIR, RW_CRF_HASH = _stage("rw_crf", {"final_crf": config["final_crf"]}, RW_HASH)

IR_LABEL_SPEC = step_spec(ir_label=IRN["ir_label"])
TRAIN_IRN_SPEC = step_spec(backbone=BACKBONE_SPEC, model=IRN["model"], train=IRN["train"])
BOUNDARY_SPEC = step_spec(backbone=BACKBONE_SPEC, model=IRN["model"], infer=IRN["infer"])
RW_SPEC = step_spec(random_walk=config["random_walk"], final_crf=config["final_crf"])

EVAL_SPEC = step_spec()

GCN = config["gcn"]
GRAPH_WALK = {key: config["random_walk"][key] for key in ("radius", "beta", "exp_times")}
PARTIAL_DIR, PARTIAL_HASH = _stage("partial", {"partial_labels": GCN["partial_labels"]}, CAM_HASH)
PARTIAL_SPEC = step_spec(gcn={"partial_labels": GCN["partial_labels"]})


def _gcn_setting(train):
    """(GCN folder, GCN + CRF folder, spec) of one GCN training setting."""
    gcn_dir, gcn_hash = _stage(
        "gcn", {"graph": GCN["graph"], "train": train, "walk": GRAPH_WALK}, text_digest(PARTIAL_HASH, BOUNDARY_HASH)
    )
    crf_dir, _ = _stage("gcn_crf", {"final_crf": config["final_crf"]}, gcn_hash)
    spec = step_spec(gcn={"graph": GCN["graph"], "train": train}, random_walk=GRAPH_WALK, final_crf=config["final_crf"])
    return gcn_dir, crf_dir, spec


GCN_DIR, GCN_CRF_DIR, GCN_SPEC = _gcn_setting(GCN["train"])

# The loss ablation of the paper's Table 2, in its row order: (entropy on, Laplacian on)
# -> setting; the configured weight where a loss is on, 0 where it is off. (True, True)
# is the configured run.
LOSS_ABLATION = {
    (entropy, laplacian): _gcn_setting(
        {
            **GCN["train"],
            "entropy_weight": GCN["train"]["entropy_weight"] if entropy else 0,
            "laplacian_weight": GCN["train"]["laplacian_weight"] if laplacian else 0,
        }
    )
    for laplacian in (False, True)
    for entropy in (False, True)
}
GCN_SETTINGS = {GCN_DIR: (GCN_CRF_DIR, GCN_SPEC)}
for _gcn_dir, _crf_dir, _spec in LOSS_ABLATION.values():
    GCN_SETTINGS.setdefault(_gcn_dir, (_crf_dir, _spec))


def _loss_name(entropy, laplacian):
    losses = ["fg", "bg", *(["entropy"] if entropy else []), *(["Laplacian"] if laplacian else [])]
    return f"GCN ({' + '.join(losses)})"


# Label folders that eval_labels can score: stage name -> (folder, table title, partial?)
LABEL_FOLDERS = {
    IR_LABEL_DIR: ("IR labels", True),
    RW_DIR: ("RW", False),
    RW_CRF_DIR: ("RW + CRF", False),
    PARTIAL_DIR: ("partial labels", True),
}
for (_entropy, _laplacian), (_gcn_dir, _crf_dir, _) in LOSS_ABLATION.items():
    LABEL_FOLDERS[_gcn_dir] = (_loss_name(_entropy, _laplacian), False)
    LABEL_FOLDERS[_crf_dir] = (f"{_loss_name(_entropy, _laplacian)} + CRF", False)
LABEL_FOLDERS[GCN_DIR] = ("GCN", False)
LABEL_FOLDERS[GCN_CRF_DIR] = ("GCN + CRF", False)
LABEL_STAGE_NAMES = sorted({folder.split("/")[-2] for folder in LABEL_FOLDERS})


# --- input functions -------------------------------------------------------------------


def image_files(ids):
    return [str(DATASET.image_path(i)) for i in ids]


def label_files(ids):
    return sorted({str(DATASET.label_path(i)) for i in ids})


def mask_files(ids):
    return [str(DATASET.mask_path(i)) for i in ids]


def shard_images(wildcards):
    return image_files(SHARDS[wildcards.shard])


def shard_labels(wildcards):
    return label_files(SHARDS[wildcards.shard])


def shard_ids_json(wildcards):
    return canonical_json(SHARDS[wildcards.shard])


def shard_mask_ids(wildcards):
    return [i for i in SHARDS[wildcards.shard] if i in MASK_IDS]


def check_records(ids):
    """The input check records of the shards holding ``ids``."""
    return sorted({f"{CHECK_DIR}/{SHARD_OF[i]}.json" for i in ids})


def shard_manifests(folder):
    return expand(f"{folder}/shards/{{shard}}.json", shard=SHARDS)


def stage_params_json(wildcards):
    return canonical_json(STAGE_PARAMS[f"{wildcards.folder}"])
