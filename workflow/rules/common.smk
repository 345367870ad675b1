# Helpers shared by all rules: config validation, image lists, shards, the registry of
# every setting's stage folders, and the input functions of the stage rules. No rule is
# defined here.

import re
import sys
from pathlib import Path

import yaml

from snakemake.utils import validate

from wsgcn.cam.files import external_cam_path, unlisted_external_ids
from wsgcn.config_schema import merged
from wsgcn.data.dataset import dataset_from_config
from wsgcn.data.demo import demo_ids
from wsgcn.data.ids import read_id_list
from wsgcn.errors import WsgcnError
from wsgcn.hashing import canonical_json
from wsgcn.provenance import module_sources, sources_digest
from wsgcn.sharding import make_shards
from wsgcn.plan import (
    LABEL_SOURCES,
    LABEL_STAGES,
    PSEUDO_LABEL_STAGES,
    RunIds,
    StageRegistry,
    segmentation_split,
    segmenter_title,
)
from wsgcn.step_registry import step_command
from wsgcn.sweeps import sweep_settings

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
    digest=r"[0-9a-f]{10}",


# --- stage folders: every setting's folders in one registry ---------------------------
# A folder is <results>/<dataset>/<stage>/<hash of its parameters and upstream hashes>.
# The configured run, the segmentation label sets (segmentation.compare_labels) and every
# sweep's settings register theirs; one rule per stage writes any registered folder.


_SPLITS = {}


def _segmentation_split(seg):
    """(train ids, eval ids, train list file, eval list file or None) of the segmenter."""
    key = canonical_json([seg[k] for k in ("train_list", "eval_list", "holdout", "holdout_seed")])
    if key not in _SPLITS:
        _SPLITS[key] = segmentation_split(DATASET, seg, INFER_IDS, INFER_LIST)
    return _SPLITS[key]


REGISTRY = StageRegistry(RESULTS, DATASET_CONFIG)
SEG_SPLITS = {}


def plan_setting(setting_config, segmentation):
    """Register one setting's folders; returns stage -> folder."""
    seg_train, seg_eval, train_source, eval_source = _segmentation_split(setting_config["segmentation"])
    if segmentation and setting_config["segmentation"]["labels"] not in ("ground_truth", "external"):
        _without_labels = sorted(set(seg_train) - set(INFER_IDS))
        if _without_labels:
            raise WsgcnError(
                f"segmentation.train_list: {len(_without_labels)} ids have no pseudo labels (not in"
                f" dataset.lists.infer), e.g. {_without_labels[:3]}"
            )
    folders = REGISTRY.plan(setting_config, RunIds(TRAIN_IDS, seg_train, seg_eval), segmentation)
    if segmentation:
        SEG_SPLITS[folders["seg_split"]] = (seg_train, seg_eval, train_source, eval_source)
    return folders


MAIN = plan_setting(config, segmentation=True)
LABEL_SETS = {
    source: plan_setting(merged(config, {"segmentation": {"labels": source}}), segmentation=True)
    for source in dict.fromkeys([config["segmentation"]["labels"], *config["segmentation"]["compare_labels"]])
}
BUILTIN_SWEEPS = yaml.safe_load(Path(workflow.basedir, "workflow", "sweeps", "builtin.yaml").read_text())["sweeps"]
SWEEPS = {
    name: [(setting, plan_setting(setting.config, sweep.get("segmentation", False))) for setting in settings]
    for name, sweep in {**BUILTIN_SWEEPS, **config["sweeps"]}.items()
    for settings in [sweep_settings(config, name, sweep)]
}
USER_SWEEPS = list(config["sweeps"])


def _warn_unlisted_external_cams():
    """A warning for external CAM files of ids outside the infer list (they are not read)."""
    folders = {
        (entry.spec["external"]["dir"], entry.spec["external"]["format"])
        for entry in REGISTRY.stages.values()
        if entry.stage == "cam_import"
    }
    for folder, file_format in sorted(folders):
        unlisted = unlisted_external_ids(folder, file_format, INFER_IDS)
        if unlisted:
            print(
                f"wsgcn: warning: {folder}: {len(unlisted)} CAM files of ids not in dataset.lists.infer are"
                f" not read, e.g. {unlisted[:3]}",
                file=sys.stderr,
            )


_warn_unlisted_external_cams()


def step_spec(**sections):
    """The --spec JSON of a step: the dataset plus only the config sections the step reads,
    so that changing a value reruns (through Snakemake's params trigger) only the rules
    that use it."""
    return canonical_json({"dataset": DATASET_SPEC, **sections})


DATASET_SPEC = {key: value for key, value in DATASET_CONFIG.items() if key not in ("kind", "lists")}
CHECK_DIR = f"{RESULTS}/{DATASET_NAME}/input_check"
CHECK_SPEC = step_spec()
EVAL_SPEC = step_spec()


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

_not_inferred = sorted(set(TRAIN_IDS) - set(INFER_IDS))
if _not_inferred:
    raise WsgcnError(
        f"dataset.lists.train: {len(_not_inferred)} ids are not in the infer list, e.g. {_not_inferred[:3]};"
        " IRNet trains on the IR labels of inferred images"
    )


# --- a stage rule's view of its folder ----------------------------------------------------


def stage_dir(stage):
    """The output folder pattern of ``stage``'s rule (wildcard ``digest``)."""
    return f"{RESULTS}/{DATASET_NAME}/{stage}/{{digest}}"


def _stage_of(stage, wildcards):
    return REGISTRY.stage(f"{RESULTS}/{DATASET_NAME}/{stage}/{wildcards.digest}")


def spec_of(stage):
    """Input function: the --spec JSON of ``stage``'s folder."""
    return lambda wildcards: step_spec(**_stage_of(stage, wildcards).spec)


def upstream_of(stage, role):
    """Input function: the ``role`` upstream folder of ``stage``'s folder."""
    return lambda wildcards: _stage_of(stage, wildcards).upstream[role]


def upstream_file(stage, role, name):
    """Input function: the file ``name`` in the ``role`` upstream folder of ``stage``'s folder."""
    return lambda wildcards: f"{_stage_of(stage, wildcards).upstream[role]}/{name}"


def upstream_manifest(stage, role):
    """Input function: the upstream ``role`` folder's manifest of this job's shard."""
    return lambda wildcards: f"{_stage_of(stage, wildcards).upstream[role]}/shards/{wildcards.shard}.json"


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


def external_cam_files(entry, ids):
    """The external CAM files of ``ids`` read by the cam_import folder ``entry``."""
    external = entry.spec["external"]
    return [str(external_cam_path(external["dir"], image_id, external["format"])) for image_id in ids]


def cam_source_files(wildcards):
    """What a train_irn folder's CAMs come from: the CAM model, or the training images'
    external CAM files."""
    folder = _stage_of("train_irn", wildcards).upstream["cams"]
    entry = REGISTRY.stage(folder)
    if entry.stage == "train_cam":
        return f"{folder}/model.pt"
    return external_cam_files(entry, TRAIN_IDS)


def cam_step_code(wildcards):
    """The code of the CAM step a train_irn folder's IR labels come from."""
    source = REGISTRY.stage(_stage_of("train_irn", wildcards).upstream["cams"]).stage
    return step_code("cam" if source == "train_cam" else "import_cam")


def check_records(ids):
    """The input check records of the shards holding ``ids``."""
    return sorted({f"{CHECK_DIR}/{SHARD_OF[i]}.json" for i in ids})


def shard_manifests(folder):
    return expand(f"{folder}/shards/{{shard}}.json", shard=SHARDS)


def stage_params_json(wildcards):
    return canonical_json(REGISTRY.records[REGISTRY.stage(wildcards.folder).folder])


def seg_shards(split_folder):
    """The shards of a segmentation split's evaluation ids: shard -> ids."""
    return make_shards(SEG_SPLITS[split_folder][1], config["sharding"]["images_per_shard"])


def _eval_scope(folder):
    """(shard -> ids, evaluated ids, their list file) of a label folder's evaluation: the
    segmenter's outputs over its evaluation split, pseudo labels over the evaluation list."""
    entry = REGISTRY.stage(folder)
    if entry.stage in ("seg", "seg_crf"):
        split = entry.upstream["seg_split"]
        return seg_shards(split), SEG_SPLITS[split][1], f"{split}/eval.txt"
    return SHARDS, EVAL_IDS, EVAL_LIST


def eval_manifests(wildcards):
    shards, _, _ = _eval_scope(wildcards.folder)
    return expand(f"{wildcards.folder}/shards/{{shard}}.json", shard=shards)


def eval_masks(wildcards):
    return mask_files(_eval_scope(wildcards.folder)[1])


def eval_list(wildcards):
    return _eval_scope(wildcards.folder)[2]


def seg_source(folder):
    """The label set a seg or seg_crf folder's segmenter trained on."""
    entry = REGISTRY.stage(folder)
    if entry.stage == "seg_crf":
        entry = REGISTRY.stage(entry.upstream["seg"])
    return REGISTRY.stage(REGISTRY.stage(entry.upstream["train_seg"]).upstream["seg_data"]).params["labels"]


def label_title(wildcards):
    """The title of a label folder's evaluation table."""
    entry = REGISTRY.stage(wildcards.folder)
    if entry.stage in ("seg", "seg_crf"):
        return segmenter_title(seg_source(wildcards.folder), entry.stage)
    return LABEL_STAGES[entry.stage][0]
