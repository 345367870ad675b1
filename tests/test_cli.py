"""The step contract: each step's options come from its function's signature, and the
rules' commands are checked against the same signature."""

from __future__ import annotations

import importlib
import inspect
import json
import shlex
from pathlib import Path

import pytest
import yaml

from wsgcn.cli import build_parser, main
from wsgcn.step_registry import STEPS, step_command, step_parameters


@pytest.mark.parametrize("step", sorted(STEPS))
def test_the_registry_reads_each_function_signature(step: str):
    module, function = STEPS[step].split(":")
    signature = inspect.signature(getattr(importlib.import_module(module), function))
    read = [(p.name, p.required) for p in step_parameters(step)]
    assert read == [(name, p.default is inspect.Parameter.empty) for name, p in signature.parameters.items()]


def test_every_step_has_a_parser_with_one_option_per_parameter():
    parser = build_parser()
    for step in STEPS:
        sub = parser._subparsers._group_actions[0].choices[step]  # argparse keeps no public accessor
        options = {action.dest for action in sub._actions} - {"help", "threads"}
        assert options == {p.name for p in step_parameters(step)}, step


def test_step_command_rejects_an_unknown_and_a_missing_parameter():
    with pytest.raises(TypeError, match="takes no parameter \\['modle'\\]"):
        step_command("report", spec="{params.spec:q}", out="{output:q}", modle="x")
    with pytest.raises(TypeError, match="required parameters \\['out'\\]"):
        step_command("report", spec="{params.spec:q}")


def test_step_command_quotes_literals_and_passes_placeholders_through():
    command = step_command(
        "eval-labels",
        spec="{params.spec:q}",
        ids="lists/a b.txt",
        folder="{x}",
        what="GCN {1}",
        partial=True,
        csv_path="out.csv",
        markdown_path="{output.markdown:q}",
        summary_path="s.json",
    )
    words = shlex.split(command.replace("{{", "{").replace("}}", "}"))
    assert words[:4] == ["{PYTHON}", "-m", "wsgcn", "eval-labels"]
    assert words[words.index("--ids") + 1] == "lists/a b.txt"
    assert words[words.index("--what") + 1] == "GCN {1}"
    assert words[words.index("--partial") + 1] == "true"
    assert words[words.index("--markdown-path") + 1] == "{output.markdown:q}"
    assert command.endswith("> {log:q} 2>&1")
    sweep = step_command(
        "eval-cam",
        spec="s",
        ids="i",
        cam_dir="c",
        threshold=0.15,
        sweep=[0.1, 0.2],
        csv_path="a",
        markdown_path="b",
        sweep_csv_path="c",
        sweep_markdown_path="d",
        summary_path="e",
    )
    assert "--sweep 0.1 0.2 --csv-path" in sweep
    assert "--per-class" not in step_command(
        "summary-table", rows="r", title="t", csv="c", markdown="m", per_class=None
    )
    # Snakemake may fill a placeholder with nothing: an optional option then has no argument
    with pytest.raises(TypeError, match=r"optional parameters \['per_class'\] given a placeholder"):
        step_command("summary-table", rows="r", title="t", csv="c", markdown="m", per_class="{params.flag:q}")


def test_a_step_runs_from_the_command_line(tmp_path: Path):
    assert (
        main(
            [
                "write-params",
                "--record",
                '{"stage": "gcn", "params": {"steps": 250}}',
                "--out",
                str(tmp_path / "p.yaml"),
            ]
        )
        == 0
    )
    assert yaml.safe_load((tmp_path / "p.yaml").read_text()) == {"stage": "gcn", "params": {"steps": 250}}
    (tmp_path / "train.txt").write_text("".join(f"img{i}\n" for i in range(10)))
    split = {"train_list": str(tmp_path / "train.txt"), "holdout": 3, "seed": 0, "eval_list": None}
    args = [
        "seg-split",
        "--split",
        json.dumps(split),
        "--train-out",
        str(tmp_path / "t.txt"),
        "--eval-out",
        str(tmp_path / "e.txt"),
    ]
    assert main(args) == 0
    train, held = (tmp_path / "t.txt").read_text().split(), (tmp_path / "e.txt").read_text().split()
    assert len(held) == 3 and sorted(train + held) == sorted(f"img{i}" for i in range(10))


def test_ids_come_from_a_json_list_or_a_file_and_bad_ones_are_refused(tmp_path: Path, capsys):
    parser = build_parser()
    (tmp_path / "ids.txt").write_text("a\nb\n")
    base = ["check-inputs", "--spec", "{}", "--mask-ids", "[]", "--record", "r.json", "--ids"]
    assert parser.parse_args([*base, '["a", "b"]']).ids == ["a", "b"]
    assert parser.parse_args([*base, str(tmp_path / "ids.txt")]).ids == ["a", "b"]
    with pytest.raises(SystemExit):
        parser.parse_args([*base, '{"a": 1}'])
    with pytest.raises(SystemExit):
        parser.parse_args(["write-params", "--record", "{not json", "--out", "x"])
    assert "not valid JSON" in capsys.readouterr().err


def test_a_user_error_is_one_line_and_status_1(tmp_path: Path, caplog):
    missing = tmp_path / "missing.txt"
    status = main(
        [
            "seg-split",
            "--split",
            json.dumps({"train_list": str(missing), "holdout": 1, "seed": 0, "eval_list": None}),
            "--train-out",
            "t",
            "--eval-out",
            "e",
        ]
    )
    assert status == 1 and str(missing) in caplog.text
