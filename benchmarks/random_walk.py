"""Random-walk time and memory per image on the VOC sample's image sizes.

For every image of the sample (or the first ``--limit``), the walk of
:func:`wsgcn.affinity.random_walk.random_walk_labels` runs on a boundary map and CAMs of
that image's stride-4 size. With ``--results`` (a voc-sample results folder holding a
CAM and a boundary stage) the stored CAMs and boundary maps are used; otherwise a smooth
random boundary map and 1-3 random CAM planes (the walk's cost does not depend on the
values). Prints median, p90 and max seconds per image and the process's peak RSS.

Usage: python benchmarks/random_walk.py [--root ../shared/data/voc2012-sample]
       [--limit N] [--threads 2] [--cam-dir DIR --boundary-dir DIR] [--configfile config/voc-sample.yaml ...]
(``--configfile``: the walk's settings, ``random_walk``, as the workflow merges the files)
"""

from __future__ import annotations

import argparse
import math
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from wsgcn.affinity.random_walk import random_walk_labels
from wsgcn.cam.files import cam_result_path, read_cam
from wsgcn.config_schema import read_config_files
from wsgcn.data.ids import read_id_list
from wsgcn.data.images import image_size
from wsgcn.io.h5store import read_arrays
from wsgcn.io.layout import boundary_path

PROJECT = Path(__file__).resolve().parents[1]


def synthetic_inputs(image_id: str, height: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(abs(hash(image_id)) % 2**32)
    h, w = math.ceil(height / 4), math.ceil(width / 4)
    coarse = torch.from_numpy(rng.random((1, 1, max(2, h // 8), max(2, w // 8)))).float()
    boundary = F.interpolate(coarse, (h, w), mode="bilinear", align_corners=False)[0, 0].numpy() ** 4
    classes = int(rng.integers(1, 4))
    return rng.random((classes, h, w)).astype(np.float32), np.arange(classes), boundary.astype(np.float32)


def stored_inputs(cam_dir: str, boundary_dir: str, image_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cam = read_cam(cam_result_path(cam_dir, image_id), ("cam", "keys"))
    boundary, _ = read_arrays(boundary_path(boundary_dir, image_id), ("boundary",))
    return cam["cam"].astype(np.float32), cam["keys"].astype(np.int64), boundary["boundary"].astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=PROJECT.parent / "shared/data/voc2012-sample")
    parser.add_argument("--list", default="ImageSets/Segmentation/train.txt")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cam-dir")
    parser.add_argument("--boundary-dir")
    parser.add_argument(
        "--configfile",
        nargs="+",
        default=[PROJECT / "config" / "voc-sample.yaml"],
        help="config files, merged in order",
    )
    args = parser.parse_args()
    walk = read_config_files(args.configfile)["random_walk"]
    if not args.root.is_dir():
        sys.exit(f"{args.root}: VOC sample not found (pass --root)")
    torch.set_num_threads(args.threads)
    ids = read_id_list(args.root / args.list)
    ids = ids[: args.limit] if args.limit else ids
    seconds, sizes = [], []
    for image_id in ids:
        height, width = image_size(args.root / "JPEGImages" / f"{image_id}.jpg")
        if args.cam_dir and args.boundary_dir:
            cam, keys, boundary = stored_inputs(args.cam_dir, args.boundary_dir, image_id)
        else:
            cam, keys, boundary = synthetic_inputs(image_id, height, width)
        start = time.perf_counter()
        random_walk_labels(cam, keys, boundary, (height, width), **walk)
        seconds.append(time.perf_counter() - start)
        sizes.append((height, width))
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)]
    full = [s for s, size in zip(seconds, sizes, strict=False) if max(size) == 500]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    source = "stored CAM + boundary" if args.cam_dir else "synthetic CAM + boundary"
    print(f"random walk, {len(ids)} images ({source}), {args.threads} threads, radius 5, beta 10, T^256")
    print("| images | median s | p90 s | max s | median s (long side 500) | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {len(ids)} | {statistics.median(seconds):.3f} | {p90:.3f} | {max(seconds):.3f} "
        f"| {statistics.median(full) if full else float('nan'):.3f} | {peak_mb:.0f} |"
    )


if __name__ == "__main__":
    main()
