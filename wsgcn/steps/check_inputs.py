"""Step ``check-inputs``: decode every image of a shard and check its labels and mask
before any model runs. The spec has the key ``dataset``."""

from __future__ import annotations

from collections.abc import Sequence

from wsgcn.data.check import check_shard
from wsgcn.data.dataset import dataset_from_config
from wsgcn.params import Spec


def check_inputs(spec: Spec, ids: Sequence[str], mask_ids: Sequence[str], record: str) -> None:
    """Check the images of ``ids`` (and the masks of ``mask_ids``); write the check record (JSON)."""
    check_shard(dataset_from_config(spec["dataset"]), ids, set(mask_ids), record)
