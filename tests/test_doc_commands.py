"""Every `snakemake` command in README.md, docs/ and config/README.md dry-runs.

The commands are taken from the documents' bash blocks and from inline code that starts
with `snakemake`. Each runs with `-n` on the demo config, in a folder of its own that
links the workflow and the configs: a command's first config file (VOC, the sample, a
user's copy) is replaced by `config/config.yaml`, and any further config file (an
overlay) must exist in the repository. ``--report FILE`` is left out, since Snakemake's
report reads a finished run's results.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from conftest import PROJECT, SNAKEMAKE

DOCUMENTS = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md")), PROJECT / "config" / "README.md"]
DEMO_CONFIG = "config/config.yaml"
OVERLAY = "config/experiments/partial-rgb.yaml"
SLURM_ENV = {"WSGCN_SLURM_ACCOUNT": "docs", "WSGCN_SLURM_PARTITION": "docs", "WSGCN_SLURM_GPU_PARTITION": "docs"}


def _shell_lines(text: str) -> list[str]:
    """The lines of every bash block (continuations joined) and every inline `snakemake ...`."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        lines += block.replace("\\\n", " ").splitlines()
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    lines += re.findall(r"`((?:\.venv/bin/)?snakemake [^`]*)`", prose)
    return lines


def snakemake_commands(text: str) -> list[list[str]]:
    """The argument lists of the snakemake invocations in ``text``."""
    commands = []
    for line in _shell_lines(text):
        line = re.sub(r"\s#.*$", "", line).replace("$repo", str(PROJECT))
        for segment in re.split(r"&&|\|\|?|;", line):
            words = shlex.split(segment)
            if words and Path(words[0]).name == "snakemake":
                commands.append(words[1:])
    return commands


def on_the_demo(arguments: list[str]) -> list[str]:
    """``arguments`` with the first config file replaced by the demo's, a target under
    another dataset's results (``results/voc-sample/...``) moved to the demo's, and ``-n``.
    A ``--report FILE`` is dropped (Snakemake's report needs a finished run's results), and
    so is ``--cores N``, so that commands differing only in it dry-run once."""
    result, index = [], 0
    while index < len(arguments):
        word = arguments[index]
        index += 1
        if word in ("--report", "--cores"):  # a report reads finished results; a dry run needs no cores
            index += 1
            continue
        result.append(re.sub(r"^results/[^/]+/", "results/demo/", word))
        if word == "--configfile":
            files = []
            while index < len(arguments) and not arguments[index].startswith("-"):
                files.append(arguments[index])
                index += 1
            result += [DEMO_CONFIG, *files[1:]]
    return [*result, "-n"]


COMMANDS = sorted({" ".join(on_the_demo(c)) for doc in DOCUMENTS for c in snakemake_commands(doc.read_text())})


def test_the_extractor_finds_the_commands_of_a_worked_example():
    text = (
        "Run `snakemake --cores 8 --configfile my.yaml`, `snakemake results/voc/sweeps/a/table.md` or\n\n```bash\n"
        "repo=$PWD && cd x\n$repo/.venv/bin/snakemake table1 -s $repo/Snakefile \\\n"
        "    --configfile config/voc-sample.yaml config/experiments/partial-rgb.yaml   # a comment\n"
        ".venv/bin/python benchmarks/x.py\n```\n"
    )
    assert [on_the_demo(c) for c in snakemake_commands(text)] == [
        ["table1", "-s", f"{PROJECT}/Snakefile", "--configfile", DEMO_CONFIG, OVERLAY, "-n"],
        ["--configfile", DEMO_CONFIG, "-n"],
        ["results/demo/sweeps/a/table.md", "-n"],
    ]


def test_the_documents_hold_commands():
    assert len(COMMANDS) >= 10


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory that sees the repository's workflow and configs but has its own
    .snakemake folder and results, so that no command touches the repository's runs."""
    folder = tmp_path_factory.mktemp("docs-checkout")
    for name in ("Snakefile", "workflow", "config", "profiles"):
        (folder / name).symlink_to(PROJECT / name)
    return folder


@pytest.mark.parametrize("command", COMMANDS)
def test_documented_command_dry_runs_on_the_demo(command: str, checkout: Path):
    arguments = shlex.split(command)
    for word in arguments:
        if word.startswith("config/") and word.endswith(".yaml"):
            assert (PROJECT / word).is_file(), f"{word} is named in the docs but does not exist"
    result = subprocess.run(
        [str(SNAKEMAKE), *arguments], capture_output=True, text=True, cwd=checkout, env={**os.environ, **SLURM_ENV}
    )
    assert result.returncode == 0, f"snakemake {command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
