"""Step ``export-labels``: a run's pseudo labels as a VOC-style folder that other
segmentation code reads (mmsegmentation's and DeepLab-pytorch's VOC loaders):

* ``SegmentationClassAug/<id>.png``: the label maps, VOC palette (0 background, 1..C
  classes, 255 unlabelled);
* ``ImageSets/Segmentation/train_aug.txt``: their ids, one per line;
* ``ImageSets/SegmentationAug/train_aug.txt``: the same as DeepLab-pytorch's ``VOCAug``
  lists them, ``/JPEGImages/<id>.jpg /SegmentationClassAug/<id>.png`` per line;
* ``labels.json``: the label set, the stage folder, its parameters and the code digest of
  the step that made them;
* with ``boundaries``, ``Boundaries/<id>.h5``: the boundary map B and node features V.

The folder appears whole or not at all: it is written beside its final place and renamed.

The spec has keys ``label_set``, ``step_module`` (the module of the step that made the
labels), ``boundaries`` and ``boundary_dir``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import yaml

from wsgcn.data.ids import read_id_list
from wsgcn.errors import InputError
from wsgcn.io.layout import boundary_path, label_path
from wsgcn.params import Spec
from wsgcn.provenance import code_digest


def export_labels(spec: Spec, ids: str, labels_dir: str, params_path: str, out_dir: str) -> None:
    """Write the export folder ``out_dir`` for the ids in the list file ``ids``, from the
    label PNGs in ``labels_dir`` (whose ``params.yaml`` is ``params_path``)."""
    image_ids = read_id_list(ids)
    sources = {image_id: label_path(labels_dir, image_id) for image_id in image_ids}
    if spec["boundaries"]:
        sources.update({f"B:{i}": boundary_path(spec["boundary_dir"], i) for i in image_ids})
    missing = [str(path) for path in sources.values() if not path.is_file()]
    if missing:
        raise InputError(f"{missing[0]}: missing ({len(missing)} files in all); rerun the stage that writes it")
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        (staging / "SegmentationClassAug").mkdir()
        for image_id in image_ids:
            shutil.copyfile(sources[image_id], staging / "SegmentationClassAug" / f"{image_id}.png")
        if spec["boundaries"]:
            (staging / "Boundaries").mkdir()
            for image_id in image_ids:
                shutil.copyfile(sources[f"B:{image_id}"], staging / "Boundaries" / f"{image_id}.h5")
        (staging / "ImageSets" / "Segmentation").mkdir(parents=True)
        (staging / "ImageSets" / "Segmentation" / "train_aug.txt").write_text("".join(f"{i}\n" for i in image_ids))
        (staging / "ImageSets" / "SegmentationAug").mkdir()
        (staging / "ImageSets" / "SegmentationAug" / "train_aug.txt").write_text(
            "".join(f"/JPEGImages/{i}.jpg /SegmentationClassAug/{i}.png\n" for i in image_ids)
        )
        record = {
            "label_set": spec["label_set"],
            "stage_folder": labels_dir,
            "parameters": yaml.safe_load(Path(params_path).read_text()),
            "code": code_digest(spec["step_module"]),
            "images": len(image_ids),
            "boundaries": spec["boundary_dir"] if spec["boundaries"] else None,
        }
        (staging / "labels.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
