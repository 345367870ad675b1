"""Write a CAM stage folder's maps as IRNet's ``make_cam`` writes them: one ``<id>.npy``
per image, a pickled dict with ``keys`` (a torch tensor of 0-based classes), ``cam`` (a
torch tensor, K x ceil(H/4) x ceil(W/4)) and ``high_res`` (a numpy array, K x H x W).

The input of the external-CAM round trip (docs/benchmarks.md): import the written folder
with ``cam.source: external`` and compare the tables with the internal run's.

    python benchmarks/write_irn_cams.py results/voc-sample/cam/<hash> irn-cams/voc-sample
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from wsgcn.cam.files import read_cam


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cam_dir", type=Path, help="a CAM stage folder (results/<name>/cam/<hash>)")
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    files = sorted((args.cam_dir / "images").glob("*.h5"))
    if not files:
        parser.error(f"{args.cam_dir}/images: no CAM files")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for path in files:
        arrays = read_cam(path, ("keys", "cam", "high_res"))
        # IRNet step/make_cam.py: np.save(..., {"keys": valid_cat, "cam": strided_cam.cpu(),
        # "high_res": highres_cam.cpu().numpy()})
        record = {
            "keys": torch.from_numpy(arrays["keys"]),
            "cam": torch.from_numpy(arrays["cam"]),
            "high_res": arrays["high_res"],
        }
        np.save(args.out_dir / f"{path.stem}.npy", record)
    print(f"wrote {len(files)} files in IRNet's format to {args.out_dir}")


if __name__ == "__main__":
    main()
