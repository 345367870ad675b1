"""The workflow's steps and their parameters, read from the step functions' signatures.

Each step is one function in :mod:`wsgcn.steps`; its signature is the only declaration of
its arguments. The command-line interface (:mod:`wsgcn.cli`) builds each step's options
from it, and the rules build their ``shell:`` commands with :func:`step_command`, which
rejects a parameter the function does not have and a missing required one. Signatures are
read from the source with :mod:`ast`, so the workflow imports no torch to build its DAG.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import shlex
from dataclasses import dataclass
from functools import cache
from typing import Any

STEPS: dict[str, str] = {
    "make-demo": "wsgcn.steps.make_demo:make_demo",
    "check-inputs": "wsgcn.steps.check_inputs:check_inputs",
    "train-cam": "wsgcn.steps.train_cam:train_stage",
    "cam": "wsgcn.steps.cam:infer_shard",
    "import-cam": "wsgcn.steps.import_cam:import_shard",
    "eval-cam": "wsgcn.steps.eval_cam:evaluate_stage",
    "ir-label": "wsgcn.steps.ir_label:ir_label_shard",
    "train-irn": "wsgcn.steps.train_irn:train_stage",
    "boundary": "wsgcn.steps.boundary:boundary_shard",
    "random-walk": "wsgcn.steps.random_walk:random_walk_shard",
    "rw-crf": "wsgcn.steps.rw_crf:rw_crf_shard",
    "partial-labels": "wsgcn.steps.partial_labels:partial_label_shard",
    "gcn": "wsgcn.steps.gcn:gcn_shard",
    "gcn-crf": "wsgcn.steps.gcn_crf:gcn_crf_shard",
    "eval-labels": "wsgcn.steps.eval_labels:evaluate_labels",
    "summary-table": "wsgcn.steps.summary_table:write_summary_table",
    "sweep-table": "wsgcn.steps.sweep_table:write_sweep_table",
    "report": "wsgcn.steps.report:report",
    "write-params": "wsgcn.steps.write_params:write_params",
    "export-labels": "wsgcn.steps.export_labels:export_labels",
    "seg-split": "wsgcn.steps.seg_split:seg_split",
    "seg-data": "wsgcn.steps.seg_data:training_set_stage",
    "train-seg": "wsgcn.steps.train_seg:train_stage",
    "segment": "wsgcn.steps.segment:infer_shard",
    "seg-crf": "wsgcn.steps.seg_crf:seg_crf_shard",
}

COMMON_OPTIONS = ("threads",)
"""Options every step takes besides its parameters: ``threads`` sets torch's thread count."""

PLACEHOLDER = re.compile(r"\{[A-Za-z_][\w.]*(:q)?\}")
"""A Snakemake placeholder (``{params.spec:q}``, ``{threads}``), passed through unquoted."""


@dataclass(frozen=True)
class StepParameter:
    """One parameter of a step function: its name, its annotation (source text) and
    whether it has a default (an optional option) or not (a required one)."""

    name: str
    annotation: str
    required: bool

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


def step_module(step: str) -> tuple[str, str]:
    """(module, function) of ``step``; a ``KeyError`` lists the known steps."""
    if step not in STEPS:
        raise KeyError(f"unknown step {step!r}; known: {sorted(STEPS)}")
    module, function = STEPS[step].split(":")
    return module, function


@cache
def _module_tree(step: str) -> ast.Module:
    """The parsed source of ``step``'s module."""
    module, _ = step_module(step)
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise KeyError(f"step {step!r}: module {module} not found")
    with open(spec.origin, encoding="utf-8") as source:
        return ast.parse(source.read(), spec.origin)


@cache
def step_parameters(step: str) -> tuple[StepParameter, ...]:
    """The parameters of ``step``'s function, in order, read from its source."""
    module, function = step_module(step)
    for node in _module_tree(step).body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            arguments = node.args.args
            first_default = len(arguments) - len(node.args.defaults)
            return tuple(
                StepParameter(arg.arg, ast.unparse(arg.annotation) if arg.annotation else "str", index < first_default)
                for index, arg in enumerate(arguments)
            )
    raise KeyError(f"step {step!r}: {module} has no function {function}")


def _argument(value: Any) -> str:
    """One command-line word: a Snakemake placeholder as it is, anything else quoted for
    the shell with its braces doubled (Snakemake formats the command)."""
    text = str(value)
    if PLACEHOLDER.fullmatch(text):
        return text
    return shlex.quote(text).replace("{", "{{").replace("}", "}}")


def step_command(step: str, **arguments: Any) -> str:
    """The ``shell:`` command of a rule that runs ``step``, its output sent to ``{log}``.

    Each keyword names a parameter of the step's function (or a common option) and gives
    its value: a Snakemake placeholder such as ``"{params.spec:q}"`` (required parameters
    only), or a literal that is quoted here. ``True`` and ``False`` give ``true`` and ``false``, ``None`` leaves the
    option out, a list or tuple gives one word per item. A name the function does not take, or a
    required parameter left out, raises ``TypeError`` naming the step.
    """
    parameters = {parameter.name: parameter for parameter in step_parameters(step)}
    unknown = sorted(set(arguments) - set(parameters) - set(COMMON_OPTIONS))
    if unknown:
        raise TypeError(f"step {step!r} takes no parameter {unknown}; it takes {sorted(parameters)}")
    missing = [name for name, parameter in parameters.items() if parameter.required and name not in arguments]
    if missing:
        raise TypeError(f"step {step!r}: required parameters {missing} not given")
    # a placeholder that Snakemake fills with an empty value leaves the option without its
    # argument, and the step fails to parse its command line
    placeholders = [
        name
        for name, parameter in parameters.items()
        if not parameter.required and isinstance(arguments.get(name), str) and PLACEHOLDER.fullmatch(arguments[name])
    ]
    if placeholders:
        raise TypeError(
            f"step {step!r}: optional parameters {placeholders} given a placeholder, which may be empty;"
            " give a literal, or pass the value inside the spec"
        )
    words = ["{PYTHON}", "-m", "wsgcn", step]
    for name in [*parameters, *COMMON_OPTIONS]:
        value = arguments.get(name)
        if value is None:
            continue
        option = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            words += [option, str(value).lower()]
        elif isinstance(value, list | tuple):
            words += [option, *map(_argument, value)]
        else:
            words += [option, _argument(value)]
    return " ".join(words) + " > {log:q} 2>&1"


def step_summary(step: str) -> str:
    """The first line of the step module's docstring, for ``--help``."""
    docstring = ast.get_docstring(_module_tree(step)) or step
    return re.sub(r"^Step ``[\w-]+``: ", "", docstring.split("\n\n")[0].replace("\n", " "))
