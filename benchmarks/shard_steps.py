"""Per-image time of the labels stages and their dCRF stages, on a run's stored results.

``random-walk`` writes the RW labels and the walked scores, ``rw-crf`` refines the labels
from those scores; ``segment`` writes the segmenter's labels and logits, ``seg-crf``
refines them. Each step runs once, fresh (into a new temporary folder, so nothing is
reused), over the first ``--limit`` images of the run, and the table gives the wall-clock
seconds per image of each step (model loading included) and of each pair.

Usage: python benchmarks/shard_steps.py --cam-dir results/demo/cam/<h> --boundary-dir results/demo/boundary/<h>
       --seg-model results/demo/train_seg/<h>/model.pt [--configfile config/config.yaml ...] [--limit 16]
       [--threads 2]
(the folders of one run: ``snakemake all -n`` lists them, or the ``params.yaml`` in each)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from wsgcn.config_schema import read_config_files
from wsgcn.steps.random_walk import random_walk_shard
from wsgcn.steps.rw_crf import rw_crf_shard
from wsgcn.steps.seg_crf import seg_crf_shard
from wsgcn.steps.segment import infer_shard

PROJECT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cam-dir", type=Path, required=True)
    parser.add_argument("--boundary-dir", type=Path, required=True)
    parser.add_argument("--seg-model", type=Path, required=True, help="a trained segmenter (train_seg/<h>/model.pt)")
    parser.add_argument(
        "--configfile", nargs="+", default=[PROJECT / "config" / "config.yaml"], help="config files, merged in order"
    )
    parser.add_argument("--limit", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = read_config_files(args.configfile)
    dataset = {key: value for key, value in config["dataset"].items() if key not in ("kind", "lists")}
    ids = sorted(path.stem for path in (args.boundary_dir / "images").glob("*.h5"))[: args.limit]
    walk_spec = {"dataset": dataset, "random_walk": config["random_walk"], "final_crf": config["final_crf"]}
    segmentation = config["segmentation"]
    seg_spec = {"dataset": dataset, "segmentation": {key: segmentation[key] for key in ("model", "crf")}}
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        cam_dir, boundary_dir, model = str(args.cam_dir), str(args.boundary_dir), str(args.seg_model)
        steps = [
            ("random-walk (RW labels, walked scores)", random_walk_shard, (walk_spec, ids, cam_dir, boundary_dir)),
            ("rw-crf (RW + CRF)", rw_crf_shard, (walk_spec, ids, str(out / "random-walk"))),
            ("segment (labels, logits)", infer_shard, (seg_spec, ids, model)),
            ("seg-crf (labels + CRF)", seg_crf_shard, (seg_spec, ids, str(out / "segment"))),
        ]
        for name, step, inputs in steps:
            folder = out / name.split()[0]
            device = ("cpu",) if step in (random_walk_shard, infer_shard) else ()
            start = time.perf_counter()
            step(*inputs, str(folder), str(folder / "manifest.json"), *device)
            rows.append((name, time.perf_counter() - start))
    rows.insert(2, ("RW + RW + CRF", rows[0][1] + rows[1][1]))
    rows.append(("segment + CRF", rows[3][1] + rows[4][1]))
    print(f"| step ({len(ids)} images, {args.threads} threads) | seconds per image |")
    print("|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds / len(ids):.2f} |")


if __name__ == "__main__":
    main()
