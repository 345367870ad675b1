"""Preemption test on a real SLURM: run a workflow command, `scancel` two of its running
jobs, and check that their retries resumed instead of starting over.

Usage: python .ci/slurm_preemption.py --workdir DIR -- <snakemake command ...>

The command runs in ``--workdir`` (a ``snakemake --profile profiles/slurm`` run of the
demo, whose profile sets ``retries``). While it runs, this script cancels

* the ``train_cam`` job, once its log shows step 10 and its checkpoint is on disk, and
* the first ``cam`` shard job whose log shows one computed image,

as a cluster's preemption would. Afterwards it checks that the command succeeded, that
both cancelled jobs were resubmitted (a new SLURM job ran the same rule and shard), that
the training retry's log says it resumed from a checkpoint (step > 0) and that the shard
retry's log reused at least one stored image. Exit status 1 when any check fails.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Target:
    """A rule whose first suitable running job is cancelled once."""

    rule: str
    cancelled_job: str | None = None
    comment: str | None = None
    jobs_by_comment: dict[str, set[int]] = field(default_factory=dict)


def running_jobs() -> list[tuple[str, str, str]]:
    """(job id, state, comment) of every job in the queue; the SLURM plugin puts
    ``rule_<rule>[_wildcards_<values>]`` in the comment."""
    output = subprocess.run(["squeue", "-h", "-o", "%i|%T|%k"], capture_output=True, text=True).stdout
    return [tuple(line.split("|", 2)) for line in output.splitlines() if line.count("|") >= 2]


def rule_of(comment: str) -> tuple[str, str]:
    """(rule, shard) from a plugin comment; the wildcard values are joined by ``_`` (a stage
    rule's are its folder's digest and the shard), so the shard is found by its form."""
    body = comment.removeprefix("rule_")
    rule, _, wildcards = body.partition("_wildcards_")
    shard = re.search(r"s\d{4}-of-\d{4}", wildcards)
    return rule, shard.group(0) if shard else ""


def one_log(workdir: Path, pattern: str) -> Path | None:
    found = sorted(workdir.glob(pattern))
    return found[0] if found else None


def ready_to_cancel(workdir: Path, rule: str, shard: str) -> bool:
    """True when cancelling now leaves work that a resume must not redo."""
    if rule == "train_cam":
        log = one_log(workdir, "logs/*/train_cam/*.log")
        checkpoint = one_log(workdir, "results/*/train_cam/*/checkpoint.pt")
        return log is not None and checkpoint is not None and re.search(r"step (\d\d+)/", log.read_text()) is not None
    if rule == "cam":
        log = one_log(workdir, f"logs/*/cam/*/{shard}.log")
        return log is not None and " computed " in log.read_text()
    return False


def watch(process: subprocess.Popen, workdir: Path, targets: list[Target]) -> None:
    """Poll the queue until the command ends; cancel each target's job once."""
    while process.poll() is None:
        for job_id, state, comment in running_jobs():
            rule, shard = rule_of(comment)
            for target in targets:
                if rule != target.rule:
                    continue
                target.jobs_by_comment.setdefault(comment, set()).add(int(job_id))
                if target.cancelled_job is None and state == "RUNNING" and ready_to_cancel(workdir, rule, shard):
                    subprocess.run(["scancel", job_id], check=True)
                    target.cancelled_job, target.comment = job_id, comment
                    print(f"preemption test: cancelled {rule} job {job_id} ({comment})", flush=True)
        time.sleep(0.5)


def retried(target: Target) -> bool:
    """Whether a later job was submitted for the same rule and wildcards (same comment)."""
    return any(job > int(target.cancelled_job) for job in target.jobs_by_comment.get(target.comment, ()))


def check(workdir: Path, targets: list[Target]) -> list[str]:
    """Failures of the resume checks (empty when all hold)."""
    failures = []
    for target in targets:
        if target.cancelled_job is None:
            failures.append(f"no {target.rule} job was cancelled (none was seen running at a suitable moment)")
            continue
        if not retried(target):
            failures.append(f"{target.rule} job {target.cancelled_job} was cancelled but no retry was seen")
    train, cam = targets
    if train.cancelled_job:
        log = one_log(workdir, "logs/*/train_cam/*.log")
        resumed = re.search(r"resumed from \S+ at step (\d+)", log.read_text()) if log else None
        if resumed is None or int(resumed.group(1)) == 0:
            failures.append(f"the train_cam retry did not resume from a checkpoint ({log})")
        else:
            print(f"preemption test: train_cam retry resumed at step {resumed.group(1)} ({log})")
    if cam.cancelled_job:
        shard = rule_of(cam.comment)[1]
        log = one_log(workdir, f"logs/*/cam/*/{shard}.log")
        done = re.search(r"shard done: (\d+) computed, (\d+) reused", log.read_text()) if log else None
        if done is None or int(done.group(2)) == 0:
            failures.append(f"the cam {shard} retry reused no stored image ({log})")
        else:
            print(
                f"preemption test: cam {shard} retry computed {done.group(1)} and reused {done.group(2)} images ({log})"
            )
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the workflow command, after --")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    targets = [Target("train_cam"), Target("cam")]
    process = subprocess.Popen(command, cwd=args.workdir)
    try:
        watch(process, args.workdir, targets)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait()
    if process.returncode != 0:
        print(f"preemption test: the workflow command failed (exit {process.returncode})", file=sys.stderr)
        return 1
    failures = check(args.workdir, targets)
    for failure in failures:
        print(f"preemption test: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
