"""Run ``snakemake --lint`` and compare its warnings with ``.ci/lint-allowlist.yaml``.

Exit status 1 when a warning is not allowed, or an allow-list entry matches no warning
(a stale entry); the output names each. Usage: ``.ci/check_lint.py [snakemake args ...]``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
HEADING = re.compile(r"^Lints for (?:rule (?P<rule>\S+) \(line \d+, (?P<rule_file>[^)]+)\)|snakefile (?P<file>\S+)):$")
WARNING = re.compile(r"^    \* (?P<lint>.+?):?$")


def lint_warnings(extra_args: list[str]) -> list[tuple[str, str]]:
    """(where, lint title) of every warning: where is ``rule <name>`` or the snakefile path."""
    command = [sys.executable, "-m", "snakemake", "--lint", *extra_args]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    warnings, where = [], None
    for line in (result.stdout + result.stderr).splitlines():
        if heading := HEADING.match(line):
            where = f"rule {heading['rule']}" if heading["rule"] else str(Path(heading["file"]).relative_to(ROOT))
        elif (warning := WARNING.match(line)) and where is not None:
            warnings.append((where, warning["lint"]))
    if result.returncode not in (0, 1) or (result.returncode == 1 and not warnings):
        sys.exit(f"snakemake --lint failed (status {result.returncode}):\n{result.stderr}")
    return warnings


def main() -> int:
    allowed = yaml.safe_load((ROOT / ".ci" / "lint-allowlist.yaml").read_text())
    used = [0] * len(allowed)
    unexpected = []
    for where, lint in lint_warnings(sys.argv[1:]):
        matches = [
            i
            for i, entry in enumerate(allowed)
            if re.fullmatch(entry["lint"], lint.rstrip(":"))
            and re.fullmatch(entry["where"], where.removeprefix("rule "))
        ]
        for index in matches:
            used[index] += 1
        if not matches:
            unexpected.append(f"{where}: {lint}")
    stale = [f"{entry['lint']} ({entry['where']})" for entry, count in zip(allowed, used, strict=True) if not count]
    for line in unexpected:
        print(f"not allowed: {line}")
    for line in stale:
        print(f"stale allow-list entry: {line}")
    print(f"snakemake --lint: {sum(used)} allowed warnings, {len(unexpected)} not allowed, {len(stale)} stale entries")
    return 1 if unexpected or stale else 0


if __name__ == "__main__":
    sys.exit(main())
