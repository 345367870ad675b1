"""Step ``write-params``: a stage folder's ``params.yaml``, the record of its parameters."""

from __future__ import annotations

import yaml

from wsgcn.io.atomic import write_text_atomic
from wsgcn.params import Spec


def write_params(record: Spec, out: str) -> None:
    """Write ``record`` (the stage, its hash, upstream hash and parameters) to ``out`` as YAML."""
    write_text_atomic(out, yaml.safe_dump(dict(record), sort_keys=True))
