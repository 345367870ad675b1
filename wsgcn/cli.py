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


def _check_inputs(args: argparse.Namespace) -> None:
    from wsgcn.data.check import check_shard
    from wsgcn.data.dataset import dataset_from_config

    spec = json.loads(args.spec)
    check_shard(dataset_from_config(spec["dataset"]), args.ids, set(args.mask_ids), args.record)


def _train_cam(args: argparse.Namespace) -> None:
    from wsgcn.steps.train_cam import train_stage

    _threads(args.threads)
    train_stage(
        json.loads(args.spec), read_id_list(args.ids_file), args.model, args.checkpoint, args.history, args.device
    )


def _cam(args: argparse.Namespace) -> None:
    from wsgcn.steps.cam import infer_shard

    _threads(args.threads)
    infer_shard(json.loads(args.spec), args.ids, args.model, args.out_dir, args.manifest, args.device)


def _eval_cam(args: argparse.Namespace) -> None:
    from wsgcn.steps.eval_cam import evaluate_stage

    evaluate_stage(
        json.loads(args.spec),
        read_id_list(args.ids_file),
        args.cam_dir,
        args.threshold,
        args.sweep,
        args.csv,
        args.markdown,
        args.sweep_csv,
        args.sweep_markdown,
    )


def _ir_label(args: argparse.Namespace) -> None:
    from wsgcn.steps.ir_label import ir_label_shard

    ir_label_shard(json.loads(args.spec), args.ids, args.cam_dir, args.out_dir, args.manifest)


def _train_irn(args: argparse.Namespace) -> None:
    from wsgcn.steps.train_irn import train_stage

    _threads(args.threads)
    train_stage(
        json.loads(args.spec), read_id_list(args.ids_file), args.ir_dir, args.model, args.checkpoint, args.history,
        args.device,
    )


def _boundary(args: argparse.Namespace) -> None:
    from wsgcn.steps.boundary import boundary_shard

    _threads(args.threads)
    boundary_shard(json.loads(args.spec), args.ids, args.model, args.out_dir, args.manifest, args.device)


def _random_walk(args: argparse.Namespace) -> None:
    from wsgcn.steps.random_walk import random_walk_shard

    _threads(args.threads)
    random_walk_shard(
        json.loads(args.spec), args.ids, args.cam_dir, args.boundary_dir, args.rw_dir, args.rw_crf_dir,
        args.rw_manifest, args.rw_crf_manifest, args.device,
    )


def _partial_labels(args: argparse.Namespace) -> None:
    from wsgcn.steps.partial_labels import partial_label_shard

    partial_label_shard(json.loads(args.spec), args.ids, args.cam_dir, args.out_dir, args.manifest)


def _gcn(args: argparse.Namespace) -> None:
    from wsgcn.steps.gcn import gcn_shard

    _threads(args.threads)
    gcn_shard(
        json.loads(args.spec), args.ids, args.cam_dir, args.boundary_dir, args.partial_dir, args.gcn_dir,
        args.gcn_crf_dir, args.gcn_manifest, args.gcn_crf_manifest, args.device,
    )


def _eval_labels(args: argparse.Namespace) -> None:
    from wsgcn.steps.eval_labels import evaluate_labels

    evaluate_labels(
        json.loads(args.spec), read_id_list(args.ids_file), args.label_dir, args.name, args.partial, args.csv,
        args.markdown,
    )


def _summary_table(args: argparse.Namespace) -> None:
    from wsgcn.evaluation.summary import per_class_table, summary_table
    from wsgcn.evaluation.tables import write_table

    rows = [(dict(row["columns"]), row["table"]) for row in json.loads(args.rows)]
    write_table((per_class_table if args.per_class else summary_table)(rows), args.csv, args.markdown, args.title)


def _report(args: argparse.Namespace) -> None:
    from wsgcn.report.build import write_report

    write_report(json.loads(args.spec), args.out)
    print(f"wsgcn: report written to {args.out}")


def _seg_split(args: argparse.Namespace) -> None:
    from wsgcn.io.atomic import write_text_atomic
    from wsgcn.segmentation.training_set import holdout_split

    train_ids = read_id_list(args.train_list)
    if args.holdout:
        train_ids, eval_ids = holdout_split(train_ids, args.holdout, args.seed)
    else:
        eval_ids = read_id_list(args.eval_list)
    write_text_atomic(args.train_out, "\n".join(train_ids) + "\n")
    write_text_atomic(args.eval_out, "\n".join(eval_ids) + "\n")


def _seg_data(args: argparse.Namespace) -> None:
    from wsgcn.steps.seg_data import training_set_stage

    training_set_stage(
        json.loads(args.spec), read_id_list(args.ids_file), args.source, args.label_dir, args.manifest,
        args.stats_csv, args.stats_markdown,
    )


def _train_seg(args: argparse.Namespace) -> None:
    from wsgcn.steps.train_seg import train_stage

    _threads(args.threads)
    train_stage(json.loads(args.spec), args.manifest, args.model, args.checkpoint, args.history, args.device)


def _segment(args: argparse.Namespace) -> None:
    from wsgcn.steps.segment import infer_shard

    _threads(args.threads)
    infer_shard(
        json.loads(args.spec), args.ids, args.model, args.seg_dir, args.seg_crf_dir, args.seg_manifest,
        args.seg_crf_manifest, args.device,
    )


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

    check = steps.add_parser("check-inputs", help="check the images, labels and masks of one shard")
    check.add_argument("--spec", required=True, help="step spec as JSON")
    check.add_argument("--ids", required=True, type=_ids_argument)
    check.add_argument("--mask-ids", required=True, type=_ids_argument, help="ids whose masks are used (JSON list)")
    check.add_argument("--record", required=True, help="check record (JSON) to write")
    check.set_defaults(run=_check_inputs)

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
    evaluate.add_argument("--sweep", type=float, nargs="*", default=[], help="thresholds of the mIoU sweep")
    evaluate.add_argument("--csv", required=True)
    evaluate.add_argument("--markdown", required=True)
    evaluate.add_argument("--sweep-csv", required=True)
    evaluate.add_argument("--sweep-markdown", required=True)
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
    summary.add_argument("--per-class", action="store_true", help="one IoU column per class (the paper's Table 5 layout)")
    summary.set_defaults(run=_summary_table)

    report = steps.add_parser("report", help="build the HTML report from a report spec")
    report.add_argument("--spec", required=True, help="report spec as JSON (see wsgcn.report.build)")
    report.add_argument("--out", required=True)
    report.set_defaults(run=_report)

    params = steps.add_parser("write-params", help="write a stage's parameters as YAML")
    params.add_argument("--json", required=True)
    params.add_argument("--out", required=True)
    params.set_defaults(run=_write_params)
    split = steps.add_parser("seg-split", help="write the segmentation train and evaluation id lists")
    split.add_argument("--train-list", required=True, type=Path, help="ids with pseudo labels to train on")
    split.add_argument("--eval-list", type=Path, help="ids to evaluate on (without --holdout)")
    split.add_argument("--holdout", type=int, default=0, help="hold this many train ids out for evaluation")
    split.add_argument("--seed", type=int, default=0)
    split.add_argument("--train-out", required=True)
    split.add_argument("--eval-out", required=True)
    split.set_defaults(run=_seg_split)

    seg_data = steps.add_parser("seg-data", help="write the segmentation training-set manifest and statistics")
    seg_data.add_argument("--spec", required=True)
    seg_data.add_argument("--ids-file", required=True, type=Path)
    seg_data.add_argument("--source", required=True)
    seg_data.add_argument("--label-dir", help="pseudo-label stage folder (absent for ground_truth)")
    seg_data.add_argument("--manifest", required=True)
    seg_data.add_argument("--stats-csv", required=True)
    seg_data.add_argument("--stats-markdown", required=True)
    seg_data.set_defaults(run=_seg_data)

    train_seg = steps.add_parser("train-seg", help="train DeepLabv2 on a training-set manifest")
    train_seg.add_argument("--spec", required=True)
    train_seg.add_argument("--manifest", required=True)
    train_seg.add_argument("--model", required=True)
    train_seg.add_argument("--checkpoint", required=True)
    train_seg.add_argument("--history", required=True)
    train_seg.add_argument("--threads", type=int, default=1)
    train_seg.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    train_seg.set_defaults(run=_train_seg)

    segment = steps.add_parser("segment", help="segment one shard of evaluation images (plain and CRF)")
    segment.add_argument("--spec", required=True)
    segment.add_argument("--ids", required=True, type=_ids_argument)
    segment.add_argument("--model", required=True)
    segment.add_argument("--seg-dir", required=True)
    segment.add_argument("--seg-crf-dir", required=True)
    segment.add_argument("--seg-manifest", required=True)
    segment.add_argument("--seg-crf-manifest", required=True)
    segment.add_argument("--threads", type=int, default=1)
    segment.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    segment.set_defaults(run=_segment)

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
