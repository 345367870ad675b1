"""Time of the exact graph's two ways of forming A = T^256 on this machine, over N.

For each stride-4 grid (h, w) the boundary map is the top-left h x w crop of a stored
boundary file (``--boundary``, e.g. a 500x375 VOC image's 94 x 125 map), or else smooth
random noise with ridges. :func:`wsgcn.gcn.graph.dense_normalised_graph` builds A_hat in
float64 with ``squarings`` (IRNet's eight dense products) and with ``eigh`` (one
symmetric eigendecomposition, whose time depends on the map's structure); the table
gives the seconds of each (one run per cell, after one untimed warm-up on the smallest
grid), their ratio and the largest difference between the two A_hat.

Usage: python benchmarks/exact_graph.py [--grids 30x40 40x50 50x60 60x80 75x94 94x125]
       [--boundary results/<run>/boundary/<h>/images/<id>.h5] [--threads 2] [--device cpu]
       [--configfile config/config.yaml ...]  (the graph's radius, beta and exp_times: ``random_walk``)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from wsgcn.config_schema import read_config_files
from wsgcn.gcn.graph import dense_normalised_graph
from wsgcn.io.h5store import read_arrays

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_GRIDS = ("30x40", "40x50", "50x60", "60x80", "75x94")


def synthetic_map(height: int, width: int, seed: int = 0) -> torch.Tensor:
    """(h, w) float64 in [0, 1): bilinear-upsampled noise with ridges where it crosses 0.5."""
    rng = np.random.default_rng(seed)
    coarse = torch.from_numpy(rng.random((1, 1, max(2, height // 8), max(2, width // 8))))
    smooth = F.interpolate(coarse, size=(height, width), mode="bilinear", align_corners=True)[0, 0]
    return torch.exp(-((smooth - 0.5) ** 2) / 0.005) * 0.95


def timed(boundary: torch.Tensor, walk: dict[str, int | float], method: str) -> tuple[float, torch.Tensor]:
    if boundary.is_cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    graph = dense_normalised_graph(boundary, **walk, method=method)
    if boundary.is_cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - start, graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", nargs="+", default=list(DEFAULT_GRIDS), help="stride-4 grids HxW")
    parser.add_argument("--boundary", type=Path, help="a stored boundary HDF5 file to crop the grids from")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--configfile", nargs="+", default=[PROJECT / "config" / "config.yaml"], help="config files, merged in order"
    )
    args = parser.parse_args()
    walk = {key: read_config_files(args.configfile)["random_walk"][key] for key in ("radius", "beta", "exp_times")}
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    grids = [tuple(int(side) for side in grid.lower().split("x")) for grid in args.grids]
    if args.boundary:
        stored = torch.from_numpy(read_arrays(args.boundary, ("boundary",))[0]["boundary"].astype(np.float64))
        too_large = [f"{h}x{w}" for h, w in grids if h > stored.shape[0] or w > stored.shape[1]]
        if too_large:
            raise SystemExit(f"{args.boundary}: map {tuple(stored.shape)} is smaller than the grids {too_large}")

        def boundary_map(height: int, width: int) -> torch.Tensor:
            return stored[:height, :width].contiguous()

    else:
        boundary_map = synthetic_map
    dense_normalised_graph(boundary_map(*grids[0]).to(device), **walk, method="squarings")  # warm-up
    source = args.boundary or "synthetic maps"
    print(f"{source}; device {device}, {torch.get_num_threads()} threads, float64")
    print("| grid (h x w) | N | squarings (s) | eigh (s) | eigh / squarings | max abs difference |")
    print("|---|---|---|---|---|---|")
    for height, width in grids:
        boundary = boundary_map(height, width).to(device)
        squarings_s, by_squarings = timed(boundary, walk, "squarings")
        eigh_s, by_eigh = timed(boundary, walk, "eigh")
        difference = float((by_squarings - by_eigh).abs().max())
        del by_squarings, by_eigh
        print(
            f"| {height} x {width} | {height * width:,} | {squarings_s:.2f} | {eigh_s:.2f} |"
            f" {eigh_s / squarings_s:.2f} | {difference:.1e} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
