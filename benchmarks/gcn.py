"""Per-image time and memory of the WSGCN stage on stored results of a run.

For each image (all images of the stage folders, or the first ``--limit``): building the
graph (``gcn.graph.mode``), training the GCN (the config's ``gcn.train``) and
decoding without CRF are timed together, as the paper's per-image time; the final dCRF
is timed separately. Prints median, p90 and max seconds per image and the process's
peak RSS.

Usage: python benchmarks/gcn.py --cam-dir results/demo/cam/<h> --boundary-dir results/demo/boundary/<h>
       --partial-dir results/demo/partial/<h> --images resources/demo/JPEGImages
       [--configfile config/config.yaml ...] [--mode fast|exact] [--size 500x375] [--limit N] [--threads 2]
(``--configfile``: the run's config files, whose values it uses, as the workflow merges them;
``--size``: only images of that size, in either orientation;
``--labels-out DIR``: also write the labels without and with the dCRF to ``DIR/gcn`` and
``DIR/gcn_crf``, for ``benchmarks/compare_labels.py``, e.g. an ``exact`` subset;
``--resume`` then skips the images whose two labels are already there, so that a long
``exact`` run can be stopped and continued.)
(the folders of one run: see the ``params.yaml`` in each, or the paths the workflow prints).
One untimed warm-up image first: the process's first GCN pays PyTorch's one-off start-up
(about 1 s here), which a job pays once per shard, not per image.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

import torch

from wsgcn.cam.files import cam_result_path
from wsgcn.config_schema import read_config_files
from wsgcn.data.images import load_rgb
from wsgcn.gcn.decode import final_labels, plain_labels
from wsgcn.gcn.image import GRAPH_WALK_KEYS, gcn_log_probs, gcn_seed
from wsgcn.io.h5store import read_arrays
from wsgcn.io.label_png import read_label_png, write_label_png
from wsgcn.io.layout import boundary_path, label_path
from wsgcn.runtime import configure_torch

PROJECT = Path(__file__).resolve().parents[1]


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):.2f} s, p90 {p90:.2f} s, max {ordered[-1]:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cam-dir", type=Path, required=True)
    parser.add_argument("--boundary-dir", type=Path, required=True)
    parser.add_argument("--partial-dir", type=Path, required=True)
    parser.add_argument("--images", type=Path, required=True, help="the JPEGImages folder")
    parser.add_argument(
        "--configfile", nargs="+", default=[PROJECT / "config" / "config.yaml"], help="config files, merged in order"
    )
    parser.add_argument("--mode", choices=["fast", "exact"], help="gcn.graph.mode (default: the config's)")
    parser.add_argument("--size", default="", help="WxH: only images of this size, either orientation")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--labels-out", type=Path, help="write the GCN and GCN + CRF label PNGs here")
    parser.add_argument("--resume", action="store_true", help="skip images with both labels in --labels-out")
    args = parser.parse_args()
    if args.resume and not args.labels_out:
        parser.error("--resume needs --labels-out")
    configure_torch(args.threads)
    cam_dir, boundary_dir, partial_dir = args.cam_dir, args.boundary_dir, args.partial_dir
    ids = sorted(p.stem for p in (partial_dir / "images").glob("*.png"))
    if args.size:
        width, height = (int(side) for side in args.size.lower().split("x"))
        ids = [i for i in ids if sorted(read_label_png(label_path(partial_dir, i)).shape) == sorted((height, width))]
    ids = ids[: args.limit or None]
    if not ids:
        parser.error(f"no images{' of size ' + args.size if args.size else ''} in {partial_dir}")

    def label_out(kind: str, image_id: str) -> Path:
        return args.labels_out / kind / f"{image_id}.png"

    if args.resume:
        ids = [i for i in ids if not all(label_out(kind, i).exists() for kind in ("gcn", "gcn_crf"))]
        if not ids:
            print(f"every selected image already has its labels in {args.labels_out}")
            return
    config = read_config_files(args.configfile)
    gcn = config["gcn"]
    if args.mode:
        gcn = {**gcn, "graph": {**gcn["graph"], "mode": args.mode}}
    mode = gcn["graph"]["mode"]
    walk = {key: config["random_walk"][key] for key in GRAPH_WALK_KEYS}
    device = torch.device("cpu")
    main_times, crf_times, nodes = [], [], []
    for index, image_id in enumerate([ids[0], *ids]):
        stored, _ = read_arrays(boundary_path(boundary_dir, image_id), ("boundary", "features"))
        keys = read_arrays(cam_result_path(cam_dir, image_id), ("keys",))[0]["keys"]
        labels = read_label_png(label_path(partial_dir, image_id))[::4, ::4]
        rgb = load_rgb(args.images / f"{image_id}.jpg")
        grid = stored["boundary"].shape
        start = time.perf_counter()
        log_probs, _ = gcn_log_probs(
            rgb,
            stored["boundary"],
            stored["features"],
            labels,
            gcn,
            walk,
            gcn_seed(gcn["train"], image_id),
            21,
            device,
        )
        plain = plain_labels(log_probs, rgb.shape[:2])
        if index == 0:
            continue
        main_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        refined = final_labels(log_probs, keys, rgb, config["final_crf"])
        crf_times.append(time.perf_counter() - start)
        if args.labels_out:
            write_label_png(label_out("gcn", image_id), plain, f"benchmark {mode}")
            write_label_png(label_out("gcn_crf", image_id), refined, f"benchmark {mode}")
        nodes.append(grid[0] * grid[1])
        print(f"{image_id}: {grid[0]}x{grid[1]} nodes, {main_times[-1]:.2f} s + CRF {crf_times[-1]:.2f} s", flush=True)
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    sizes = f", {args.size} only" if args.size else ""
    print(f"\n| what ({len(ids)} images{sizes}, mode {mode}, {args.threads} threads) | figure |")
    print("|---|---|")
    print(f"| nodes per image | median {statistics.median(nodes):.0f}, max {max(nodes)} |")
    print(f"| graph + GCN (250 steps) + decoding, no CRF | {summary(main_times)} |")
    print(f"| final dCRF | {summary(crf_times)} |")
    print(f"| peak RSS | {peak_gb:.2f} GB |")


if __name__ == "__main__":
    main()
