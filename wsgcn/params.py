"""Hyperparameter dataclasses from config sections."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, ClassVar, Self, TypeVar

from wsgcn.config_schema import config_section
from wsgcn.errors import ConfigError

ParamsT = TypeVar("ParamsT")


def params_from_config(cls: type[ParamsT], config: Mapping[str, Any], section: str) -> ParamsT:
    """A hyperparameter dataclass from the validated config section ``section``, lists
    as tuples. The dataclasses have no defaults (``config/schema.yaml`` holds them), so
    an unknown or a missing key is a :class:`ConfigError` naming the section and key."""
    known = {field.name for field in fields(cls) if field.init}  # type: ignore[arg-type]
    unknown = sorted(set(config) - known)
    if unknown:
        raise ConfigError(f"{section}: unknown keys {unknown}")
    missing = sorted(known - set(config))
    if missing:
        raise ConfigError(f"{section}: missing keys {missing}")
    return cls(**{name: tuple(value) if isinstance(value, list) else value for name, value in config.items()})


class ConfigParams:
    """Base of hyperparameter dataclasses read from the config section named ``section``."""

    section: ClassVar[str]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        return params_from_config(cls, config, cls.section)

    @classmethod
    def defaults(cls, **overrides: Any) -> Self:
        """The schema's defaults of ``section`` with ``overrides`` (for code outside the workflow)."""
        return cls.from_config({**config_section(cls.section), **overrides})


Spec = Mapping[str, Any]
"""A step's *spec*: the JSON-ready dict the workflow passes (``--spec``), with the
``dataset`` config section and the sections the step reads."""

JsonList = list[Any]
"""A JSON list passed to a step (table rows, for instance)."""
