"""mIoU of the random-walk labels (and optionally RW + CRF) at several background scores,
from a run's stored CAM and boundary files, with the walk of the config files given
(``random_walk``; ``--configfile``, merged in order as the workflow merges them). The
walk is computed once per image; only the background plane changes
(``random_walk.background_threshold``).

Usage: python benchmarks/rw_threshold_sweep.py --cam-dir results/voc-sample/cam/<h>
       --boundary-dir results/voc-sample/boundary/<h>
       --dataset-root ../shared/data/voc2012-sample [--ids list.txt]
       [--thresholds 0.15 0.25 0.35 0.45] [--crf-thresholds 0.25 0.45] [--configfile config/voc-sample.yaml ...]
Without ``--ids`` the sweep covers every image with a boundary file. ``--crf-thresholds``
also refines the labels at those scores by the final dCRF (the config's ``final_crf``).
``--ground-truth-boundaries`` walks on the ground truth's boundaries instead of the
learned ones (B = 1 on the stride-4 cells that touch VOC's 255 outline band, 0
elsewhere): the most a better boundary network could give with these CAMs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from wsgcn.affinity.random_walk import crf_refined_labels, random_walk_labels
from wsgcn.cam.evaluate import cam_to_label
from wsgcn.cam.files import cam_result_path, read_cam
from wsgcn.config_schema import read_config_files
from wsgcn.crf import CrfParams
from wsgcn.data.images import load_mask, load_rgb
from wsgcn.evaluation.confusion import confusion_matrix, mean_iou
from wsgcn.io.h5store import read_arrays
from wsgcn.io.layout import boundary_path

CLASSES = 21
PROJECT = Path(__file__).resolve().parents[1]


def ground_truth_boundary(mask_path: Path, grid: tuple[int, int]) -> np.ndarray:
    """B (h, w) float32 of a VOC mask: 1 where a stride-4 cell holds an outline (255) pixel."""
    raw = np.asarray(Image.open(mask_path))
    height, width = grid
    outline = np.zeros((4 * height, 4 * width), bool)
    outline[: raw.shape[0], : raw.shape[1]] = raw == 255
    return outline.reshape(height, 4, width, 4).max(axis=(1, 3)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cam-dir", type=Path, required=True)
    parser.add_argument("--boundary-dir", type=Path, required=True)
    parser.add_argument("--dataset-root", type=Path, required=True, help="VOC layout: JPEGImages, SegmentationClass")
    parser.add_argument("--ids", type=Path, help="a file of image ids (default: every boundary file)")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5])
    parser.add_argument("--crf-thresholds", type=float, nargs="*", default=[])
    parser.add_argument(
        "--configfile",
        nargs="+",
        default=[PROJECT / "config" / "voc-sample.yaml"],
        help="config files, merged in order",
    )
    parser.add_argument("--ground-truth-boundaries", action="store_true", help="walk on the masks' outlines")
    args = parser.parse_args()
    config = read_config_files(args.configfile)
    walk = config["random_walk"]
    final_crf = CrfParams.from_config(config["final_crf"], "final_crf", {"softmax_quirk"})
    if args.ids:
        ids = [line.strip() for line in args.ids.read_text().splitlines() if line.strip()]
    else:
        ids = sorted(path.stem for path in (args.boundary_dir / "images").glob("*.h5"))
    rows = [("RW", t) for t in args.thresholds] + [("RW + CRF", t) for t in args.crf_thresholds]
    confusion = {row: np.zeros((CLASSES, CLASSES), np.int64) for row in rows}
    for image_id in ids:
        cam = read_cam(cam_result_path(args.cam_dir, image_id), ("keys", "cam"))
        stored, attrs = read_arrays(boundary_path(args.boundary_dir, image_id), ("boundary",))
        size = (int(attrs["height"]), int(attrs["width"]))
        mask_path = args.dataset_root / "SegmentationClass" / f"{image_id}.png"
        boundary = stored["boundary"].astype(np.float32)
        if args.ground_truth_boundaries:
            boundary = ground_truth_boundary(mask_path, boundary.shape)
        _, scores = random_walk_labels(cam["cam"], cam["keys"], boundary, size, **walk)
        truth = load_mask(mask_path, CLASSES)
        rgb = load_rgb(args.dataset_root / "JPEGImages" / f"{image_id}.jpg") if args.crf_thresholds else None
        for kind, threshold in rows:
            if kind == "RW + CRF":
                labels = crf_refined_labels(
                    rgb, scores, cam["keys"], threshold, final_crf, config["final_crf"]["softmax_quirk"]
                )
            else:
                labels = cam_to_label(scores, cam["keys"].tolist(), threshold)
            confusion[(kind, threshold)] += confusion_matrix(labels, truth, CLASSES)
    print(f"radius {walk['radius']}, beta {walk['beta']:g}, T^{2 ** walk['exp_times']}")
    print(f"| labels ({len(ids)} images) | background score | mIoU |")
    print("|---|---|---|")
    for kind, threshold in rows:
        print(f"| {kind} | {threshold:.2f} | {100 * mean_iou(confusion[(kind, threshold)]):.2f} |")


if __name__ == "__main__":
    main()
