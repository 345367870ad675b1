"""Run a per-image computation over a shard, reusing stored per-image results.

Snakemake deletes a job's declared outputs before it runs, so per-image results are
not declared outputs: they live at fixed per-image paths and carry an input key
(:mod:`wsgcn.io.h5store`). A shard job recomputes only the images whose key changed
and writes a manifest (its declared output) mapping every image to its key; the log
says which images were reused. A killed job loses at most the image it was working on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from wsgcn.hashing import canonical_json
from wsgcn.io.atomic import write_text_atomic
from wsgcn.io.h5store import stored_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShardOutput:
    """One per-image result of a shard job and the manifest that lists it.

    ``key_of(id)`` is the input key the result must carry; ``compute(id, path, key)``
    writes the result to ``path`` with that key; ``read_key(path)`` reads a stored key
    (HDF5 attribute by default).
    """

    key_of: Callable[[str], str]
    result_path: Callable[[str], Path]
    compute: Callable[[str, Path, str], None]
    manifest_path: str | Path
    read_key: Callable[[Path], str | None] = stored_key


def run_shard_outputs(ids: Sequence[str], outputs: Sequence[ShardOutput]) -> list[dict[str, str]]:
    """Bring every image's results up to date, image by image, then write the manifests.

    All of an image's outputs are brought up to date, in the order given, before the next
    image starts, so a step that derives several outputs from one expensive computation
    (a walk, a forward pass) can cache it for one image and compute it once. A later
    output's ``key_of`` may read the key of an earlier output of the same image. Returns
    one manifest (id -> key) per output.
    """
    entries: list[dict[str, str]] = [{} for _ in outputs]
    computed = [0] * len(outputs)
    for image_id in ids:
        for index, output in enumerate(outputs):
            key = output.key_of(image_id)
            path = output.result_path(image_id)
            if output.read_key(path) == key:
                log.info("reused %s (%s)", image_id, path)
            else:
                start = time.perf_counter()
                output.compute(image_id, path, key)
                computed[index] += 1
                log.info("computed %s in %.2f s (%s)", image_id, time.perf_counter() - start, path)
            entries[index][image_id] = key
    for output, manifest, count in zip(outputs, entries, computed, strict=True):
        log.info("shard done: %d computed, %d reused (%s)", count, len(ids) - count, output.manifest_path)
        write_text_atomic(output.manifest_path, canonical_json(manifest) + "\n")
    return entries


def run_shard(
    ids: Sequence[str],
    key_of: Callable[[str], str],
    result_path: Callable[[str], Path],
    compute: Callable[[str, Path, str], None],
    manifest_path: str | Path,
    read_key: Callable[[Path], str | None] = stored_key,
) -> dict[str, str]:
    """:func:`run_shard_outputs` for a step with one output; returns its manifest."""
    return run_shard_outputs(ids, [ShardOutput(key_of, result_path, compute, manifest_path, read_key)])[0]
