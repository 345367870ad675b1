"""Where a dataset's files are: the VOC folder layout, and its image-level labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wsgcn.config_schema import config_section, merged
from wsgcn.data.images import image_size, load_mask, load_rgb
from wsgcn.data.labels import labels_from_mask, labels_from_xml, read_label_csv
from wsgcn.data.working_size import WorkingSize
from wsgcn.errors import ConfigError, InputError
from wsgcn.hashing import file_digest, text_digest

LABEL_SOURCES = ("xml", "mask", "csv")


@dataclass(frozen=True)
class Dataset:
    """A dataset in the VOC folder layout.

    ``root/JPEGImages/<id>.jpg``, ``root/SegmentationClass/<id>.png`` (ground truth
    masks; folder configurable, e.g. ``SegmentationClassAug``) and
    ``root/Annotations/<id>.xml``. Image-level labels come from ``label_source``:
    the XML annotations, the masks, or a CSV file ``image_id,labels``. Stages read
    images and masks at their :class:`WorkingSize` through :meth:`load_image` and
    :meth:`load_mask`.
    """

    root: Path
    class_names: tuple[str, ...]
    label_source: str
    label_csv: Path | None
    image_dir: str
    image_suffix: str
    mask_dir: str
    annotation_dir: str
    working_size: WorkingSize
    _csv_labels: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.label_source not in LABEL_SOURCES:
            raise ConfigError(f"dataset.labels.source: {self.label_source!r} is not one of {LABEL_SOURCES}")
        if self.label_source == "csv" and self.label_csv is None:
            raise ConfigError("dataset.labels.csv: required when dataset.labels.source is 'csv'")

    @property
    def num_classes(self) -> int:
        """Number of classes including background."""
        return len(self.class_names) + 1

    def image_path(self, image_id: str) -> Path:
        return self.root / self.image_dir / f"{image_id}{self.image_suffix}"

    def mask_path(self, image_id: str) -> Path:
        return self.root / self.mask_dir / f"{image_id}.png"

    def annotation_path(self, image_id: str) -> Path:
        return self.root / self.annotation_dir / f"{image_id}.xml"

    def load_image(self, image_id: str) -> np.ndarray:
        """The image as RGB uint8 at its working size, shape (H, W, 3)."""
        path = self.image_path(image_id)
        return self.working_size.image(load_rgb(path), path)

    def load_mask(self, image_id: str) -> np.ndarray:
        """The ground-truth mask as class ids at the image's working size, shape (H, W)."""
        path = self.mask_path(image_id)
        return self.working_size.mask(load_mask(path, self.num_classes), path)

    def image_digest(self, image_id: str) -> str:
        """SHA-256 of the image file, combined with its working size where that differs
        from the file's size (so that a changed limit recomputes exactly those images)."""
        path = self.image_path(image_id)
        size = image_size(path)
        digest = file_digest(path)
        working = self.working_size.of(*size, path)
        return digest if working == size else text_digest(digest, f"working size {working[0]}x{working[1]}")

    def label_path(self, image_id: str) -> Path:
        """The file that holds ``image_id``'s image-level labels."""
        if self.label_source == "xml":
            return self.annotation_path(image_id)
        if self.label_source == "mask":
            return self.mask_path(image_id)
        assert self.label_csv is not None
        return self.label_csv

    def image_labels(self, image_id: str) -> tuple[int, ...]:
        """Sorted 0-based foreground class indices present in the image."""
        if self.label_source == "xml":
            return labels_from_xml(self.annotation_path(image_id), self.class_names)
        if self.label_source == "mask":
            return labels_from_mask(self.mask_path(image_id), self.class_names)
        if not self._csv_labels:
            assert self.label_csv is not None
            self._csv_labels.update(read_label_csv(self.label_csv, self.class_names))
        if image_id not in self._csv_labels:
            raise InputError(f"{self.label_csv}: no labels for image {image_id!r}")
        return self._csv_labels[image_id]


def dataset_from_config(config: Mapping[str, Any], base: str | Path = ".") -> Dataset:
    """Build a :class:`Dataset` from the ``dataset`` section of the workflow config; keys
    it lacks take the schema's defaults. Relative paths are resolved against ``base``.
    """
    base = Path(base)
    config = merged(config_section("dataset"), config)
    labels = config["labels"]
    csv_path = labels.get("csv")
    names: Sequence[str] = config["class_names"]
    return Dataset(
        root=base / config["root"],
        class_names=tuple(names),
        label_source=labels["source"],
        label_csv=(base / csv_path) if csv_path else None,
        image_dir=config["image_dir"],
        image_suffix=config["image_suffix"],
        mask_dir=config["mask_dir"],
        annotation_dir=config["annotation_dir"],
        working_size=WorkingSize(**config["working_size"]),
    )
