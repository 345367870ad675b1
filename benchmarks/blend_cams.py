"""Stronger CAMs for the external-CAM experiment: a CAM stage folder's maps blended with
the ground-truth masks, a stand-in for a better seed method (not a method of its own: it
sees the masks).

Per image and class c: high_res = (1 - weight) * cam_c + weight * blur(mask == c), the
blur a Gaussian of ``--sigma`` pixels, the mask's ignored pixels (255) counted as 0.
Written in IRNet's format without the stride-4 map, which the import derives.

    python benchmarks/blend_cams.py results/voc-sample/cam/<hash> external/voc-sample/blended-cams \\
        --configfile config/voc-sample.yaml
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms.functional as TF

from wsgcn.cam.files import read_cam
from wsgcn.config_schema import read_config_files
from wsgcn.data.dataset import dataset_from_config


def blurred_masks(mask: np.ndarray, keys: np.ndarray, sigma: float) -> np.ndarray:
    """(K, H, W) float32: each class's indicator in ``mask`` (H, W), Gaussian-blurred."""
    if len(keys) == 0:
        return np.zeros((0, *mask.shape), np.float32)
    indicators = torch.from_numpy(np.stack([mask == key + 1 for key in keys]).astype(np.float32))
    size = 2 * math.ceil(3 * sigma) + 1
    return TF.gaussian_blur(indicators, [size, size], [sigma, sigma]).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cam_dir", type=Path, help="a CAM stage folder (results/<name>/cam/<hash>)")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--configfile", nargs="+", required=True, help="the run's config files (for the masks)")
    parser.add_argument("--weight", type=float, default=0.5, help="the masks' share of the blend")
    parser.add_argument("--sigma", type=float, default=8.0, help="Gaussian blur of the masks (pixels)")
    args = parser.parse_args()
    dataset = dataset_from_config(read_config_files(args.configfile)["dataset"])
    files = sorted((args.cam_dir / "images").glob("*.h5"))
    if not files:
        parser.error(f"{args.cam_dir}/images: no CAM files")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for path in files:
        arrays = read_cam(path, ("keys", "high_res"))
        keys = arrays["keys"]
        masks = blurred_masks(dataset.load_mask(path.stem), keys, args.sigma)
        high_res = (1 - args.weight) * arrays["high_res"] + args.weight * masks
        np.save(args.out_dir / f"{path.stem}.npy", {"keys": torch.from_numpy(keys), "high_res": high_res})
    print(f"wrote {len(files)} blended CAM files (weight {args.weight}, sigma {args.sigma}) to {args.out_dir}")


if __name__ == "__main__":
    main()
