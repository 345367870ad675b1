"""``config/schema.yaml``: the one source of every default value.

The workflow validates its config against the schema, which fills in the defaults; the
dataclasses and functions in :mod:`wsgcn` take every value from that config and have no
defaults of their own. Code outside the workflow (tests, benchmarks, a notebook) reads a
section's defaults here.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from wsgcn.errors import ConfigError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "config" / "schema.yaml"


@cache
def load_schema() -> dict[str, Any]:
    """The parsed JSON schema of the config."""
    return yaml.safe_load(SCHEMA_PATH.read_text())


def schema_defaults(schema: Mapping[str, Any]) -> Any:
    """The default value of ``schema``: an object's defaults key by key (its own
    ``default`` under them), a leaf's ``default``; ``None`` where there is none."""
    properties = schema.get("properties")
    if schema.get("type") != "object" or properties is None:
        return schema.get("default")
    values = dict(schema.get("default") or {})
    for key, child in properties.items():
        value = schema_defaults(child)
        if value is not None or "default" in child:
            values[key] = value
    return values


def merged(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` applied key by key, recursing into nested mappings."""
    result = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def config_section(dotted: str) -> dict[str, Any]:
    """The defaults of the config section ``dotted`` (e.g. ``"gcn.train"``)."""
    schema = load_schema()
    for key in dotted.split("."):
        properties = schema.get("properties", {})
        if key not in properties:
            raise ConfigError(f"{dotted}: no such section in {SCHEMA_PATH}")
        schema = properties[key]
    values = schema_defaults(schema)
    if not isinstance(values, dict):
        raise ConfigError(f"{dotted}: not a section (an object) in {SCHEMA_PATH}")
    return values


def read_config_files(paths: list[str | Path]) -> dict[str, Any]:
    """The schema's defaults with the config files ``paths`` merged over them in order, as
    ``snakemake --configfile A B`` merges them (for code that runs outside the workflow)."""
    config = schema_defaults(load_schema())
    for path in paths:
        config = merged(config, yaml.safe_load(Path(path).read_text()) or {})
    return config
