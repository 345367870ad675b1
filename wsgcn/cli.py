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
