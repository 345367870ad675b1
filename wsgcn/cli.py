"""Command-line entry points, one per workflow step: ``python -m wsgcn STEP ...``.

The Snakemake rules call these through ``shell:``. Each step parses its arguments,
sets up logging and threads, and calls one stage function; errors the user can fix
(:class:`wsgcn.errors.WsgcnError`) are printed as one line and exit with status 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from wsgcn.data.ids import read_id_list, validate_image_id
from wsgcn.errors import WsgcnError


def _ids_argument(text: str) -> list[str]:
    ids = json.loads(text)
    if not isinstance(ids, list):
        raise argparse.ArgumentTypeError("--ids must be a JSON list of image ids")
    return [validate_image_id(i) for i in ids]


def _threads(threads: int) -> None:
    from wsgcn.runtime import configure_torch

    configure_torch(threads)


def _make_demo(args: argparse.Namespace) -> None:
    from wsgcn.data.demo import write_demo_dataset

    ids = write_demo_dataset(args.root, args.num_images, args.seed, (args.height, args.width))
    logging.getLogger("wsgcn").info("wrote %d demo images to %s", len(ids), args.root)


def _train_cam(args: argparse.Namespace) -> None:
    from wsgcn.cam.stage import train_stage

    _threads(args.threads)
    train_stage(
        json.loads(args.spec), read_id_list(args.ids_file), args.model, args.checkpoint, args.history, args.device
    )


def _cam(args: argparse.Namespace) -> None:
    from wsgcn.cam.stage import infer_shard

    _threads(args.threads)
    infer_shard(json.loads(args.spec), args.ids, args.model, args.out_dir, args.manifest, args.device)


def _eval_cam(args: argparse.Namespace) -> None:
    from wsgcn.cam.stage import evaluate_stage

    evaluate_stage(json.loads(args.spec), read_id_list(args.ids_file), args.cam_dir, args.threshold, args.csv, args.markdown)


def _ir_label(args: argparse.Namespace) -> None:
    from wsgcn.affinity.stage import ir_label_shard

    ir_label_shard(json.loads(args.spec), args.ids, args.cam_dir, args.out_dir, args.manifest)


def _train_irn(args: argparse.Namespace) -> None:
    from wsgcn.affinity.stage import train_stage

    _threads(args.threads)
    train_stage(
        json.loads(args.spec), read_id_list(args.ids_file), args.ir_dir, args.model, args.checkpoint, args.history,
        args.device,
    )


def _boundary(args: argparse.Namespace) -> None:
    from wsgcn.affinity.stage import boundary_shard

    _threads(args.threads)
    boundary_shard(json.loads(args.spec), args.ids, args.model, args.out_dir, args.manifest, args.device)


def _random_walk(args: argparse.Namespace) -> None:
    from wsgcn.affinity.stage import random_walk_shard

    _threads(args.threads)
    random_walk_shard(
        json.loads(args.spec), args.ids, args.cam_dir, args.boundary_dir, args.rw_dir, args.rw_crf_dir,
        args.rw_manifest, args.rw_crf_manifest, args.device,
    )


def _partial_labels(args: argparse.Namespace) -> None:
    from wsgcn.gcn.stage import partial_label_shard

    partial_label_shard(json.loads(args.spec), args.ids, args.cam_dir, args.out_dir, args.manifest)


def _gcn(args: argparse.Namespace) -> None:
    from wsgcn.gcn.stage import gcn_shard

    _threads(args.threads)
    gcn_shard(
        json.loads(args.spec), args.ids, args.cam_dir, args.boundary_dir, args.partial_dir, args.gcn_dir,
        args.gcn_crf_dir, args.gcn_manifest, args.gcn_crf_manifest, args.device,
    )


def _eval_labels(args: argparse.Namespace) -> None:
    from wsgcn.affinity.stage import evaluate_labels

    evaluate_labels(
        json.loads(args.spec), read_id_list(args.ids_file), args.label_dir, args.name, args.partial, args.csv,
        args.markdown,
    )


def _summary_table(args: argparse.Namespace) -> None:
    from wsgcn.evaluation.summary import summary_table
    from wsgcn.evaluation.tables import write_table

    rows = [(dict(row["columns"]), row["table"]) for row in json.loads(args.rows)]
    write_table(summary_table(rows), args.csv, args.markdown, args.title)


def _write_params(args: argparse.Namespace) -> None:
    import yaml

    from wsgcn.io.atomic import write_text_atomic

    write_text_atomic(args.out, yaml.safe_dump(json.loads(args.json), sort_keys=True))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wsgcn", description=__doc__)
    steps = parser.add_subparsers(dest="step", required=True)

    demo = steps.add_parser("make-demo", help="generate the synthetic demo dataset")
    demo.add_argument("--root", required=True, type=Path)
    demo.add_argument("--num-images", required=True, type=int)
    demo.add_argument("--seed", required=True, type=int)
    demo.add_argument("--height", required=True, type=int)
    demo.add_argument("--width", required=True, type=int)
    demo.set_defaults(run=_make_demo)

    train = steps.add_parser("train-cam", help="train the CAM classifier")
    train.add_argument("--spec", required=True, help="stage spec as JSON")
    train.add_argument("--ids-file", required=True, type=Path, help="image list to train on")
    train.add_argument("--model", required=True)
    train.add_argument("--checkpoint", required=True)
    train.add_argument("--history", required=True)
    train.add_argument("--threads", type=int, default=1)
    train.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    train.set_defaults(run=_train_cam)

    cam = steps.add_parser("cam", help="compute the CAMs of one shard of images")
    cam.add_argument("--spec", required=True)
    cam.add_argument("--ids", required=True, type=_ids_argument, help="JSON list of image ids")
    cam.add_argument("--model", required=True)
    cam.add_argument("--out-dir", required=True)
    cam.add_argument("--manifest", required=True)
    cam.add_argument("--threads", type=int, default=1)
    cam.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    cam.set_defaults(run=_cam)

    evaluate = steps.add_parser("eval-cam", help="evaluate thresholded CAMs")
    evaluate.add_argument("--spec", required=True)
    evaluate.add_argument("--ids-file", required=True, type=Path)
    evaluate.add_argument("--cam-dir", required=True)
    evaluate.add_argument("--threshold", required=True, type=float)
    evaluate.add_argument("--csv", required=True)
    evaluate.add_argument("--markdown", required=True)
    evaluate.set_defaults(run=_eval_cam)

    ir = steps.add_parser("ir-label", help="IR labels of one shard from its CAMs")
    ir.add_argument("--spec", required=True)
    ir.add_argument("--ids", required=True, type=_ids_argument)
    ir.add_argument("--cam-dir", required=True)
    ir.add_argument("--out-dir", required=True)
    ir.add_argument("--manifest", required=True)
    ir.set_defaults(run=_ir_label)

    irn = steps.add_parser("train-irn", help="train IRNet's boundary and displacement branches")
    irn.add_argument("--spec", required=True)
    irn.add_argument("--ids-file", required=True, type=Path)
    irn.add_argument("--ir-dir", required=True)
    irn.add_argument("--model", required=True)
    irn.add_argument("--checkpoint", required=True)
    irn.add_argument("--history", required=True)
    irn.add_argument("--threads", type=int, default=1)
    irn.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    irn.set_defaults(run=_train_irn)

    boundary = steps.add_parser("boundary", help="boundary maps and node features of one shard")
    boundary.add_argument("--spec", required=True)
    boundary.add_argument("--ids", required=True, type=_ids_argument)
    boundary.add_argument("--model", required=True)
    boundary.add_argument("--out-dir", required=True)
    boundary.add_argument("--manifest", required=True)
    boundary.add_argument("--threads", type=int, default=1)
    boundary.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    boundary.set_defaults(run=_boundary)

    walk = steps.add_parser("random-walk", help="random-walk labels (and their dCRF) of one shard")
    walk.add_argument("--spec", required=True)
    walk.add_argument("--ids", required=True, type=_ids_argument)
    walk.add_argument("--cam-dir", required=True)
    walk.add_argument("--boundary-dir", required=True)
    walk.add_argument("--rw-dir", required=True)
    walk.add_argument("--rw-crf-dir", required=True)
    walk.add_argument("--rw-manifest", required=True)
    walk.add_argument("--rw-crf-manifest", required=True)
    walk.add_argument("--threads", type=int, default=1)
    walk.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    walk.set_defaults(run=_random_walk)

    partial = steps.add_parser("partial-labels", help="WSGCN partial labels of one shard")
    partial.add_argument("--spec", required=True)
    partial.add_argument("--ids", required=True, type=_ids_argument)
    partial.add_argument("--cam-dir", required=True)
    partial.add_argument("--out-dir", required=True)
    partial.add_argument("--manifest", required=True)
    partial.set_defaults(run=_partial_labels)

    gcn = steps.add_parser("gcn", help="per-image GCN labels (and their dCRF) of one shard")
    gcn.add_argument("--spec", required=True)
    gcn.add_argument("--ids", required=True, type=_ids_argument)
    gcn.add_argument("--cam-dir", required=True)
    gcn.add_argument("--boundary-dir", required=True)
    gcn.add_argument("--partial-dir", required=True)
    gcn.add_argument("--gcn-dir", required=True)
    gcn.add_argument("--gcn-crf-dir", required=True)
    gcn.add_argument("--gcn-manifest", required=True)
    gcn.add_argument("--gcn-crf-manifest", required=True)
    gcn.add_argument("--threads", type=int, default=1)
    gcn.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    gcn.set_defaults(run=_gcn)

    labels = steps.add_parser("eval-labels", help="evaluate a folder of label PNGs")
    labels.add_argument("--spec", required=True)
    labels.add_argument("--ids-file", required=True, type=Path)
    labels.add_argument("--label-dir", required=True)
    labels.add_argument("--name", required=True, help="what the labels are, for the table title")
    labels.add_argument("--partial", action="store_true", help="score labelled pixels only (255 skipped)")
    labels.add_argument("--csv", required=True)
    labels.add_argument("--markdown", required=True)
    labels.set_defaults(run=_eval_labels)

    summary = steps.add_parser("summary-table", help="one mIoU row per evaluated method")
    summary.add_argument("--rows", required=True, help='JSON list of {"columns": [[name, value], ...], "table": CSV path}')
    summary.add_argument("--title", required=True)
    summary.add_argument("--csv", required=True)
    summary.add_argument("--markdown", required=True)
    summary.set_defaults(run=_summary_table)

    params = steps.add_parser("write-params", help="write a stage's parameters as YAML")
    params.add_argument("--json", required=True)
    params.add_argument("--out", required=True)
    params.set_defaults(run=_write_params)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one step; returns the process exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except WsgcnError as error:
        logging.getLogger("wsgcn").error("%s", error)
        return 1
    return 0
