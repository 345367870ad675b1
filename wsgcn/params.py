"""Hyperparameter dataclasses from config sections."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, ClassVar, Self, TypeVar

from wsgcn.errors import ConfigError

ParamsT = TypeVar("ParamsT")


def params_from_config(cls: type[ParamsT], config: Mapping[str, Any], section: str) -> ParamsT:
    """A hyperparameter dataclass from a config section; lists become tuples where the
    field's default is a tuple; an unknown key is a :class:`ConfigError` naming ``section``."""
    known = {field.name: field for field in fields(cls)}  # type: ignore[arg-type]
    unknown = set(config) - set(known)
    if unknown:
        raise ConfigError(f"{section}: unknown keys {sorted(unknown)}")
    values = {name: tuple(value) if isinstance(known[name].default, tuple) else value for name, value in config.items()}
    return cls(**values)


class ConfigParams:
    """Base of hyperparameter dataclasses read from the config section named ``section``."""

    section: ClassVar[str]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        return params_from_config(cls, config, cls.section)


Spec = Mapping[str, Any]
"""A step's *spec*: the JSON-ready dict the workflow passes (``--spec``), with the
``dataset`` config section and the sections the step reads."""

JsonList = list[Any]
"""A JSON list passed to a step (table rows, for instance)."""
