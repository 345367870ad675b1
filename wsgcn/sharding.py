"""Stable shards of image ids.

An id's shard is ``sha1(id) mod S``, where the shard count ``S`` is the smallest power
of two with ``S * images_per_shard >= number of ids``. Membership never depends on list
position, so adding or removing an image changes exactly one shard, except when the
list crosses a power-of-two boundary; then every shard splits in two (``mod 2S``
refines ``mod S``), and the per-image result cache still avoids recomputation.
With ``images_per_shard == 1`` every image is its own shard, named after its id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def shard_count(num_ids: int, images_per_shard: int) -> int:
    """Number of shards for ``num_ids`` ids: the smallest power of two that holds them."""
    if images_per_shard < 1:
        raise ValueError("images_per_shard must be >= 1")
    count = 1
    while count * images_per_shard < num_ids:
        count *= 2
    return count


def shard_index(image_id: str, count: int) -> int:
    """The shard (0..count-1) that ``image_id`` belongs to."""
    return int.from_bytes(hashlib.sha1(image_id.encode()).digest()[:8], "big") % count


def shard_name(index: int, count: int) -> str:
    """File-name-safe shard label, e.g. ``s0003-of-0128``."""
    return f"s{index:04d}-of-{count:04d}"


def make_shards(ids: Iterable[str], images_per_shard: int) -> dict[str, list[str]]:
    """Map shard name -> ids (in input order). Shards without ids are omitted."""
    ids = list(ids)
    if images_per_shard == 1:
        return {f"img-{image_id}": [image_id] for image_id in sorted(ids)}
    count = shard_count(len(ids), images_per_shard)
    shards: dict[str, list[str]] = {}
    for image_id in ids:
        shards.setdefault(shard_name(shard_index(image_id, count), count), []).append(image_id)
    return dict(sorted(shards.items()))
