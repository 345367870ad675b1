"""Sweeps: named sets of settings, each the base config with an overlay applied.

A sweep is an entry of the config's ``sweeps`` section::

    sweeps:
      rw-threshold:
        grid: {random_walk.background_threshold: [0.20, 0.25, 0.30]}
      edge-kernel:
        settings:
          edge1: {irn: {model: {edge_kernel: 1}}}
          edge3: {irn: {model: {edge_kernel: 3}}}

A ``grid`` is the Cartesian product of dotted keys' values; ``settings`` are named partial
configs. Every setting is validated against the schema; an error names the sweep, the
setting and the key.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from wsgcn.config_schema import load_schema, merged
from wsgcn.errors import ConfigError

FIXED_SECTIONS = ("results_dir", "device", "dataset", "demo", "sharding", "report", "export", "sweeps")
"""Config sections that a setting cannot change: they name the run, not a setting."""


@dataclass(frozen=True)
class Setting:
    """One setting of a sweep: its ``name``, its ``changes`` (dotted key -> value, as in
    the table's columns) and its validated full ``config``."""

    name: str
    changes: dict[str, Any]
    config: dict[str, Any]


def flat_changes(overlay: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The leaves of a partial config as dotted key -> value."""
    changes: dict[str, Any] = {}
    for key, value in overlay.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            changes.update(flat_changes(value, f"{dotted}."))
        else:
            changes[dotted] = value
    return changes


def nested(dotted: str, value: Any) -> dict[str, Any]:
    """The partial config that sets one dotted key."""
    result: Any = value
    for key in reversed(dotted.split(".")):
        result = {key: result}
    return result


def validate_config(config: Mapping[str, Any], where: str) -> None:
    """Check ``config`` against the schema; a :class:`ConfigError` naming ``where`` and the key."""
    schema = load_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(config), key=lambda error: list(error.absolute_path))
    if errors:
        error = errors[0]
        key = ".".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ConfigError(f"{where}: {key}: {error.message}")


def _check_overlay(overlay: Any, where: str) -> None:
    if not isinstance(overlay, Mapping):
        raise ConfigError(f"{where}: a setting is a partial config (a mapping), got {overlay!r}")
    fixed = sorted(set(overlay) & set(FIXED_SECTIONS))
    if fixed:
        raise ConfigError(f"{where}: {fixed[0]} cannot differ between the settings of a sweep")
    schema = load_schema()
    for dotted in flat_changes(overlay):
        node = schema
        for part in dotted.split("."):
            properties = node.get("properties", {})
            if part not in properties:
                raise ConfigError(f"{where}: {dotted} is not a config key (config/README.md lists them)")
            node = properties[part]
            if node.get("type") != "object":
                break


def _grid_settings(grid: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(grid, Mapping) or not grid:
        raise ConfigError(f"{where}.grid: a mapping of dotted keys to lists of values")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}.grid.{key}: a non-empty list of values")
    keys = list(grid)
    result = []
    for values in itertools.product(*(grid[key] for key in keys)):
        overlay: dict[str, Any] = {}
        for key, value in zip(keys, values, strict=True):
            overlay = merged(overlay, nested(key, value))
        name = ", ".join(f"{key.split('.')[-1]}={value}" for key, value in zip(keys, values, strict=True))
        result.append((name, overlay))
    return result


def sweep_settings(base: Mapping[str, Any], name: str, sweep: Mapping[str, Any]) -> list[Setting]:
    """The settings of the sweep ``name``: ``base`` (a validated config) with each overlay
    applied and validated."""
    where = f"sweeps.{name}"
    if ("grid" in sweep) == ("settings" in sweep):
        raise ConfigError(f"{where}: give either grid or settings")
    if "grid" in sweep:
        overlays = _grid_settings(sweep["grid"], where)
    else:
        if not isinstance(sweep["settings"], Mapping) or not sweep["settings"]:
            raise ConfigError(f"{where}.settings: a mapping of setting names to partial configs")
        overlays = [(str(setting), overlay or {}) for setting, overlay in sweep["settings"].items()]
    settings = []
    for setting, overlay in overlays:
        _check_overlay(overlay, f"{where}, setting {setting!r}")
        config = merged(base, overlay)
        validate_config(config, f"{where}, setting {setting!r}")
        settings.append(Setting(setting, flat_changes(overlay), config))
    return settings
