"""How much a change (a storage format, a published quirk) moves every label stage of a run.

Each ``--stage NAME BASE VARIANT`` names a stage and its two results folders (a run's
``<stage>/<hash>``). A label folder's labels are its ``images/<id>.png``, its mIoU that of
its ``eval/miou.csv``. For the CAMs, give the CAM evaluation's folders
(``cam_eval/<hash>``): their labels are the evaluated CAMs (the ``cam`` folder upstream)
thresholded at the evaluation's threshold, their mIoU that of ``cam_miou.csv``. The table
gives, per stage, the percentage of pixels whose label differs between the two runs (over
the images both hold) and each run's mIoU.

Usage: python benchmarks/label_difference.py --stage CAM results/demo/cam_eval/<a> <run b>/cam_eval/<b>
       --stage "GCN + CRF" results/demo/gcn_crf/<a> <run b>/gcn_crf/<b> [--stage ...]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

from wsgcn.cam.evaluate import cam_to_label
from wsgcn.cam.files import read_cam
from wsgcn.evaluation.summary import read_miou
from wsgcn.io.label_png import read_label_png


def label_reader(folder: Path) -> tuple[Callable[[str], np.ndarray], set[str], Path]:
    """(labels of an id, the ids the folder holds, its mIoU table) for a stage folder."""
    if (folder / "cam_miou.csv").is_file():
        return cam_label_reader(folder)
    images = folder / "images"
    pngs = {path.stem for path in images.glob("*.png")}
    if not pngs:
        raise SystemExit(f"{images}: no label maps (*.png); give a CAM evaluation's cam_eval folder for CAMs")
    return lambda image_id: read_label_png(images / f"{image_id}.png"), pngs, folder / "eval" / "miou.csv"


def cam_label_reader(eval_folder: Path) -> tuple[Callable[[str], np.ndarray], set[str], Path]:
    """The labels of a CAM evaluation (``cam_eval/<hash>``): its CAMs at its threshold."""
    record = yaml.safe_load((eval_folder / "params.yaml").read_text())
    threshold = record["params"]["eval"]["threshold"]
    images = eval_folder.parents[1] / "cam" / record["upstream"] / "images"
    cams = {path.stem for path in images.glob("*.h5")}
    if not cams:
        raise SystemExit(f"{images}: no CAM files (*.h5)")

    def read(image_id: str) -> np.ndarray:
        arrays = read_cam(images / f"{image_id}.h5", ("high_res", "keys"))
        return cam_to_label(arrays["high_res"], arrays["keys"].tolist(), threshold)

    return read, cams, eval_folder / "cam_miou.csv"


def stage_row(name: str, base: Path, variant: Path) -> str:
    read_base, base_ids, base_table = label_reader(base)
    read_variant, variant_ids, variant_table = label_reader(variant)
    ids = sorted(base_ids & variant_ids)
    differing = pixels = 0
    for image_id in ids:
        labels = read_base(image_id)
        differing += int((labels != read_variant(image_id)).sum())
        pixels += labels.size
    base_miou, variant_miou = read_miou(base_table), read_miou(variant_table)
    return (
        f"| {name} | {len(ids)} | {100 * differing / max(pixels, 1):.3f} % | {base_miou:.2f} | {variant_miou:.2f} |"
        f" {variant_miou - base_miou:+.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", nargs=3, action="append", required=True, metavar=("NAME", "BASE", "VARIANT"))
    args = parser.parse_args()
    print("| stage | images | pixels whose label differs | mIoU base | mIoU variant | difference |")
    print("|---|---|---|---|---|---|")
    for name, base, variant in args.stage:
        print(stage_row(name, Path(base), Path(variant)), flush=True)


if __name__ == "__main__":
    main()
