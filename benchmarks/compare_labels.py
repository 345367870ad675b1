"""Compare label folders of two or more runs on the images they share: mIoU of each and
pixel agreement with the first, e.g. the ``fast`` and ``exact`` GCN graphs.

Usage: python benchmarks/compare_labels.py --truth ../shared/data/voc2012-sample/SegmentationClass
       --labels fast=results/voc-sample/gcn/<h>/images --labels exact=<exact run>/gcn/<h>/images
       [--labels ...] [--ids list.txt]
Each folder holds ``<id>.png`` label maps (any run's stage folder ``images/``); without
``--ids`` the comparison covers the ids present in every folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from wsgcn.data.images import load_mask
from wsgcn.evaluation.confusion import confusion_matrix, mean_iou
from wsgcn.io.label_png import read_label_png

CLASSES = 21


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--truth", type=Path, required=True, help="the ground-truth mask folder")
    parser.add_argument("--labels", action="append", required=True, metavar="NAME=DIR")
    parser.add_argument("--ids", type=Path, help="a file of image ids (default: ids in every folder)")
    args = parser.parse_args()
    folders = dict(item.split("=", 1) for item in args.labels)
    if args.ids:
        ids = [line.strip() for line in args.ids.read_text().splitlines() if line.strip()]
    else:
        ids = sorted(set.intersection(*({p.stem for p in Path(d).glob("*.png")} for d in folders.values())))
    names = list(folders)
    confusion = {name: np.zeros((CLASSES, CLASSES), np.int64) for name in names}
    agree = {name: 0 for name in names}
    pixels = 0
    for image_id in ids:
        truth = load_mask(args.truth / f"{image_id}.png", CLASSES)
        maps = {name: read_label_png(Path(folder) / f"{image_id}.png") for name, folder in folders.items()}
        for name, labels in maps.items():
            confusion[name] += confusion_matrix(labels, truth, CLASSES)
            agree[name] += int((labels == maps[names[0]]).sum())
        pixels += truth.size
    print(f"| labels ({len(ids)} images) | mIoU | pixels equal to {names[0]} |")
    print("|---|---|---|")
    for name in names:
        print(f"| {name} | {100 * mean_iou(confusion[name]):.2f} | {100 * agree[name] / max(pixels, 1):.2f} % |")


if __name__ == "__main__":
    main()
