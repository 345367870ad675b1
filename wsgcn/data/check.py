"""The input check of one shard, run before any model sees its images.

Every image must decode (a corrupt or truncated file is named), have a working size
(see :mod:`wsgcn.data.working_size`; the record notes images that are resized), and
have parseable image-level labels; where a mask is used (labels from masks, or the
image is evaluated) the mask must decode, hold only class ids and 255, and have the
image's size. All problems of the shard are
reported together, one line per file, and the check writes nothing when any is found.
Images without a foreground label pass: they are listed in the check record and the
report (the pipeline gives them all-background labels).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from wsgcn.data.dataset import Dataset
from wsgcn.data.images import load_mask, load_rgb
from wsgcn.errors import InputError
from wsgcn.hashing import canonical_json
from wsgcn.io.atomic import write_text_atomic


@dataclass(frozen=True)
class ImageRecord:
    """What the check learned about one image: its file's size and its working size in
    pixels, and its foreground class keys."""

    height: int
    width: int
    working_height: int
    working_width: int
    labels: tuple[int, ...]


def check_image(dataset: Dataset, image_id: str, with_mask: bool) -> ImageRecord:
    """Check one image (and its mask when ``with_mask``); raises :class:`InputError`."""
    image_path = dataset.image_path(image_id)
    height, width = load_rgb(image_path).shape[:2]
    working = dataset.working_size.of(height, width, image_path)
    if with_mask:
        mask_path = dataset.mask_path(image_id)
        mask = load_mask(mask_path, dataset.num_classes)
        if mask.shape != (height, width):
            raise InputError(
                f"{mask_path}: mask is {mask.shape[0]}x{mask.shape[1]} pixels but its image {image_path}"
                f" is {height}x{width}"
            )
    return ImageRecord(height, width, *working, tuple(dataset.image_labels(image_id)))


def check_shard(
    dataset: Dataset, ids: Sequence[str], mask_ids: Collection[str], record_path: str | Path
) -> dict[str, ImageRecord]:
    """Check every image of a shard, then write the check record (JSON) atomically.

    ``mask_ids`` are the images whose mask is used. Raises one :class:`InputError`
    listing every problem (and writes nothing) when any image fails.
    """
    records: dict[str, ImageRecord] = {}
    problems: list[str] = []
    for image_id in ids:
        try:
            records[image_id] = check_image(dataset, image_id, image_id in mask_ids)
        except InputError as error:
            problems.append(str(error))
    if problems:
        raise InputError(f"{len(problems)} of {len(ids)} images failed the input check:\n" + "\n".join(problems))
    no_foreground = [image_id for image_id, record in records.items() if not record.labels]
    resized = [
        image_id for image_id, r in records.items() if (r.height, r.width) != (r.working_height, r.working_width)
    ]
    content = {
        "images": {image_id: asdict(record) for image_id, record in records.items()},
        "no_foreground": no_foreground,
        "resized": resized,
    }
    write_text_atomic(record_path, canonical_json(content) + "\n")
    return records


def flagged_images(record_paths: Sequence[str | Path]) -> dict[str, list[str]]:
    """The ids (sorted) the given check records list under ``no_foreground`` (no
    foreground label) and ``resized`` (processed at a working size other than the file's)."""
    flagged: dict[str, list[str]] = {"no_foreground": [], "resized": []}
    for path in record_paths:
        try:
            record = json.loads(Path(path).read_text())
            for kind, ids in flagged.items():
                ids.extend(record[kind])
        except (OSError, ValueError, KeyError) as error:
            raise InputError(f"{path}: cannot read input check record ({error})") from error
    return {kind: sorted(ids) for kind, ids in flagged.items()}
