"""Per-image time of the two shard steps with two outputs per image, on a run's stored results.

``random-walk`` writes the RW labels and the RW + CRF labels; ``segment`` writes the
segmenter's labels without and with the CRF. Each step runs once, fresh (into a new
temporary folder, so nothing is reused), over the first ``--limit`` images of the run,
and the table gives the wall-clock seconds per image of the whole step (model loading
included). Run it with another checkout's package first on ``PYTHONPATH`` to compare
two versions of the steps on the same inputs.

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
        start = time.perf_counter()
        random_walk_shard(
            walk_spec, ids, str(args.cam_dir), str(args.boundary_dir), str(out / "rw"), str(out / "rw_crf"),
            str(out / "rw.json"), str(out / "rw_crf.json"), "cpu",
        )  # fmt: skip
        rows.append(("random-walk (RW + RW + CRF)", time.perf_counter() - start))
        start = time.perf_counter()
        infer_shard(
            seg_spec, ids, str(args.seg_model), str(out / "seg"), str(out / "seg_crf"), str(out / "seg.json"),
            str(out / "seg_crf.json"), "cpu",
        )  # fmt: skip
        rows.append(("segment (labels + CRF labels)", time.perf_counter() - start))
    print(f"| step ({len(ids)} images, {args.threads} threads) | seconds per image |")
    print("|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds / len(ids):.2f} |")


if __name__ == "__main__":
    main()
