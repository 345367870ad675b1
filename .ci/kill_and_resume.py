"""Fault test: run the demo workflow, SIGKILL it (with every job it started) at random
moments, resume each time, and compare the final results with an uninterrupted run.

Usage: python .ci/kill_and_resume.py --reference RESULTS_DIR --workdir DIR [--kills 12] [--seed 0]

The workflow runs with ``-s <repo>/Snakefile --configfile <repo>/config/config.yaml`` in
``--workdir``. The kill points are spread over the whole run: each is a random number of
finished jobs (of all the run's jobs) plus a random delay of up to ``--max-delay``
seconds, so the kills fall on job starts, model loading, per-image writes and
checkpoints alike; after the last kill the workflow runs to the end. A resume is
``snakemake --unlock`` (SIGKILL leaves the lock behind) and the same command again
(``rerun-incomplete`` comes from profiles/default). Exit status 1 when the
results differ from ``--reference`` (see compare_results.py) or the final run fails.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def workflow_command(*args: str) -> list[str]:
    return [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--configfile", str(REPO / "config" / "config.yaml"), *args]


def planned_jobs(workdir: Path) -> int:
    """Jobs left to run, from a dry run."""
    output = subprocess.run(workflow_command("-n"), cwd=workdir, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^total\s+(\d+)", output, re.M)
    return int(match.group(1)) if match else 0


def attempt(workdir: Path, log: Path, total: int, kill_at_job: float | None, delay: float) -> tuple[bool, int]:
    """Run the workflow until it ends, or SIGKILL its process group ``delay`` s after the
    ``kill_at_job``-th job of the whole run has finished. Returns (finished, jobs done)."""
    offset = log.stat().st_size if log.exists() else 0
    done, reached = total - planned_jobs(workdir), None
    with log.open("a") as out:
        process = subprocess.Popen(
            workflow_command("--cores", "2"), cwd=workdir, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        while process.poll() is None:
            time.sleep(0.2)
            progress = re.findall(r"^(\d+) of \d+ steps", log.read_text()[offset:], re.M)
            jobs_done = done + (int(progress[-1]) if progress else 0)
            if kill_at_job is not None and jobs_done >= kill_at_job:
                reached = reached or time.monotonic()
                if time.monotonic() - reached >= delay:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                    return False, jobs_done
    if process.returncode != 0:
        raise SystemExit(f"the workflow failed (exit {process.returncode}); see {log}")
    return True, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", type=Path, required=True, help="results folder of an uninterrupted run")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--max-delay", type=float, default=20.0, help="seconds after a kill point's job finished")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    args.workdir.mkdir(parents=True, exist_ok=True)
    log = args.workdir / "kill_and_resume.log"
    total = planned_jobs(args.workdir)
    if total < 2:
        raise SystemExit(f"a dry run in {args.workdir} plans {total} jobs: nothing to interrupt")
    # kill points spread over the whole run: after a random number of finished jobs (from
    # 0 to all but the last), then a random delay into whatever runs next
    kill_points = sorted(rng.uniform(0, total - 1) for _ in range(args.kills))
    kills, started, finished = 0, time.monotonic(), False
    while not finished:
        if kills:
            subprocess.run(workflow_command("--unlock"), cwd=args.workdir, capture_output=True, check=True)
        point = kill_points[kills] if kills < args.kills else None
        finished, jobs_done = attempt(args.workdir, log, total, point, rng.uniform(0, args.max_delay))
        if not finished:
            kills += 1
            print(
                f"kill {kills}: SIGKILL with {jobs_done} of {total} jobs done, at {time.monotonic() - started:.0f} s",
                flush=True,
            )
    print(f"finished after {kills} kills, {time.monotonic() - started:.0f} s in all", flush=True)
    compare = [
        sys.executable,
        str(REPO / ".ci" / "compare_results.py"),
        str(args.reference),
        str(args.workdir / "results"),
    ]
    return subprocess.run(compare).returncode


if __name__ == "__main__":
    sys.exit(main())
