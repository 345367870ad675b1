"""Command-line entry point of every workflow step: ``python -m wsgcn STEP --option value ...``.

Each step's options are its function's parameters (:mod:`wsgcn.step_registry`), converted
by annotation: ``Spec`` and ``JsonList`` from JSON, ``Sequence[str]`` (image ids) from a
JSON list or an id-list file, ``Sequence[float]`` as several words, ``bool`` as true or false.
Every step also takes ``--threads`` (torch's thread count). Errors the user can fix
(:class:`wsgcn.errors.WsgcnError`) are logged as one line and exit with status 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from wsgcn.data.ids import read_id_list, validate_image_id
from wsgcn.errors import WsgcnError
from wsgcn.step_registry import STEPS, StepParameter, step_module, step_parameters, step_summary

log = logging.getLogger("wsgcn")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not valid JSON ({error})") from error


def _bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return text == "true"


def _ids(text: str) -> list[str]:
    """Image ids from a JSON list, or from an id-list file when ``text`` is not one."""
    if not text.lstrip().startswith(("[", "{")):
        try:
            return read_id_list(Path(text))
        except WsgcnError as error:
            raise argparse.ArgumentTypeError(str(error)) from error
    ids = _json(text)
    if not isinstance(ids, list):
        raise argparse.ArgumentTypeError("expected a JSON list of image ids or an id-list file")
    return [validate_image_id(image_id) for image_id in ids]


CONVERTERS: dict[str, Callable[[str], Any]] = {"Spec": _json, "JsonList": _json, "bool": _bool, "int": int}
CONVERTERS |= {"float": float, "Sequence[str]": _ids, "Sequence[float]": float}


HELP = {
    "bool": "true or false",
    "Spec": "JSON object",
    "JsonList": "JSON list",
    "Sequence[str]": "image ids: JSON list or id-list file",
}


def _add_option(parser: argparse.ArgumentParser, parameter: StepParameter) -> None:
    kind = parameter.annotation
    if kind in CONVERTERS:
        nargs = "*" if kind == "Sequence[float]" else None
        options = {"type": CONVERTERS[kind], "nargs": nargs, "required": parameter.required, "help": HELP.get(kind)}
        parser.add_argument(parameter.option, **options)
    elif kind.split(" | ")[0] in ("str", "Path"):
        parser.add_argument(parameter.option, required=parameter.required, help="path" if "Path" in kind else None)
    else:
        raise TypeError(f"{parameter.name}: annotation {kind!r} has no command-line form")


def build_parser() -> argparse.ArgumentParser:
    """One subcommand per step, with one option per parameter of its function."""
    parser = argparse.ArgumentParser(prog="python -m wsgcn", description=__doc__.split("\n\n")[0])
    subcommands = parser.add_subparsers(dest="step", required=True, metavar="STEP")
    for step in STEPS:
        summary = step_summary(step)
        sub = subcommands.add_parser(step, help=summary, description=summary)
        for parameter in step_parameters(step):
            _add_option(sub, parameter)
        sub.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    return parser


def run_step(step: str, options: argparse.Namespace) -> None:
    """Import ``step``'s function and call it with the parsed options."""
    if options.threads is not None:
        from wsgcn.runtime import configure_torch

        configure_torch(options.threads)
    module, function = step_module(step)
    arguments = {parameter.name: getattr(options, parameter.name) for parameter in step_parameters(step)}
    getattr(importlib.import_module(module), function)(**arguments)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one step; returns the process exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    argv = list(sys.argv[1:] if argv is None else argv)
    options = build_parser().parse_args(argv)
    log.info("python -m wsgcn %s", shlex.join(argv))
    try:
        run_step(options.step, options)
    except WsgcnError as error:
        log.error("%s", error)
        return 1
    return 0
