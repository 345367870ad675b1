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
from pathlib import Path

from wsgcn.hashing import canonical_json
from wsgcn.io.atomic import write_text_atomic
from wsgcn.io.h5store import stored_key

log = logging.getLogger(__name__)


def run_shard(
    ids: Sequence[str],
    key_of: Callable[[str], str],
    result_path: Callable[[str], Path],
    compute: Callable[[str, Path, str], None],
    manifest_path: str | Path,
    read_key: Callable[[Path], str | None] = stored_key,
) -> dict[str, str]:
    """Bring every image's result up to date, then write the manifest; returns it (id -> key).

    ``key_of(id)`` is the input key the result must carry; ``compute(id, path, key)``
    writes the result to ``path`` with that key; ``read_key(path)`` reads a stored key
    (HDF5 attribute by default). An image whose stored key matches is reused.
    """
    manifest: dict[str, str] = {}
    computed = 0
    for image_id in ids:
        key = key_of(image_id)
        path = result_path(image_id)
        if read_key(path) == key:
            log.info("reused %s (%s)", image_id, path)
        else:
            start = time.perf_counter()
            compute(image_id, path, key)
            computed += 1
            log.info("computed %s in %.2f s (%s)", image_id, time.perf_counter() - start, path)
        manifest[image_id] = key
    log.info("shard done: %d computed, %d reused (%s)", computed, len(ids) - computed, manifest_path)
    write_text_atomic(manifest_path, canonical_json(manifest) + "\n")
    return manifest
