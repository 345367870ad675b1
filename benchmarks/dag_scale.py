"""Workflow overhead at VOC train_aug scale: jobs, SLURM jobs, dry-run and no-op rerun time.

Builds a VOC-layout folder of empty placeholder files for N synthetic image ids (no
pixels are read: nothing runs) with config/voc2012.yaml, then

* times a dry run of the full DAG from nothing (``snakemake -n``) and counts its jobs:
  all of them, and those a SLURM run submits (every job but the ``localrule`` ones),
* times a no-op rerun (``snakemake --cores 2`` with every output present and up to date),
* counts the jobs per rule of a dry run after a GCN hyperparameter change,
* with ``--sweep N``, adds a sweep of N values of gcn.train.steps (the targets are then
  ``all`` and ``sweep``),
* times ``scontrol show config``, which the SLURM executor plugin runs whenever it is
  imported, i.e. in every Snakemake run, local ones included: where SLURM is installed
  but its controller does not answer, it adds up to 10 s to every figure above.

Usage: python benchmarks/dag_scale.py [--images 10582] [--eval-images 1464]
       [--images-per-shard N (default: voc2012.yaml's)] [--repeats 3] [--sweep 5]
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [str(Path(sys.executable).parent / "snakemake"), "-s", str(PROJECT / "Snakefile")]


def make_dataset(root: Path, num_images: int, num_eval: int, num_val: int) -> None:
    ids = [f"{2007 + i // 2000}_{i % 2000:06d}" for i in range(num_images)]
    val_ids = [f"2013_{i:06d}" for i in range(num_val)]  # the segmenter's evaluation split
    for folder in ("JPEGImages", "Annotations", "SegmentationClass", "ImageSets/Segmentation"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for image_id in ids:
        (root / "JPEGImages" / f"{image_id}.jpg").touch()
        (root / "Annotations" / f"{image_id}.xml").touch()
    for image_id in ids[:num_eval]:
        (root / "SegmentationClass" / f"{image_id}.png").touch()
    for image_id in val_ids:
        for folder, suffix in (("JPEGImages", "jpg"), ("Annotations", "xml"), ("SegmentationClass", "png")):
            (root / folder / f"{image_id}.{suffix}").touch()
    (root / "ImageSets/Segmentation/val.txt").write_text("".join(f"{i}\n" for i in val_ids))
    (root / "ImageSets/Segmentation/train_aug.txt").write_text(
        "".join(f"/JPEGImages/{i}.jpg /SegmentationClassAug/{i}.png\n" for i in ids)
    )
    (root / "ImageSets/Segmentation/train.txt").write_text("".join(f"{i}\n" for i in ids[:num_eval]))


def write_config(
    workdir: Path,
    images_per_shard: int | None,
    sweep_values: int,
    name: str = "bench.yaml",
    gcn_train: dict | None = None,
) -> Path:
    """voc2012.yaml on the synthetic folder; ``gcn_train`` overrides values of gcn.train;
    ``sweep_values`` > 0 adds a sweep of that many values of gcn.train.steps (none the default)."""
    config = yaml.safe_load((PROJECT / "config" / "voc2012.yaml").read_text())
    config["dataset"]["root"] = "VOC2012"
    if images_per_shard:
        config["sharding"]["images_per_shard"] = images_per_shard
    if gcn_train:
        config.setdefault("gcn", {}).setdefault("train", {}).update(gcn_train)
    if sweep_values:
        steps = [50 * (index + 1) for index in range(sweep_values + 1) if 50 * (index + 1) != 250][:sweep_values]
        config["sweeps"] = {"gcn-steps": {"grid": {"gcn.train.steps": steps}}}
    path = workdir / name
    path.write_text(yaml.safe_dump(config))
    return path


def snakemake(workdir: Path, config: Path, *args: str) -> tuple[float, str]:
    """Run Snakemake in ``workdir`` with ``args`` (targets and options) before ``--configfile``,
    which takes every word after it; the seconds it took and its output."""
    start = time.perf_counter()
    result = subprocess.run(
        [*SNAKEMAKE, "--directory", str(workdir), *args, "--configfile", str(config)],
        capture_output=True,
        text=True,
        cwd=workdir,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return elapsed, result.stdout + result.stderr


def job_stats(output: str) -> dict[str, int]:
    block = re.search(r"Job stats:\n(.*?)\n\s*total\s+(\d+)", output, re.S)
    if not block:
        return {}
    stats = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", block.group(1), re.M)}
    stats["total"] = int(block.group(2))
    return stats


RULE_HEADER = re.compile(r"^\s*rule(?:\s+(\w+))?:\s*$", re.M)


def local_rules() -> set[str]:
    """Rules that run in the Snakemake process itself, never on a cluster: those marked
    ``localrule: True`` and those with nothing to run (targets such as ``all``). Read from
    the rule files (a dry run prints every job as a plain 'rule')."""
    names = set()
    for path in [PROJECT / "Snakefile", *sorted((PROJECT / "workflow" / "rules").glob("*.smk"))]:
        text = path.read_text()
        headers = list(RULE_HEADER.finditer(text))
        for header, following in zip(headers, [*headers[1:], None], strict=False):
            body = text[header.end() : following.start() if following else len(text)]
            runs = re.search(r"^\s+(shell|run|script|notebook|wrapper):", body, re.M)
            if header.group(1) and ("localrule: True" in body or not runs):
                names.add(header.group(1))
    return names


def submitted_jobs(stats: dict[str, int]) -> int:
    """Jobs that a cluster executor submits: all but those of local rules."""
    local = local_rules()
    return sum(count for rule, count in stats.items() if rule != "total" and rule not in local)


def create_outputs(workdir: Path, dry_output: str) -> None:
    """Create every output file a dry run lists, then let Snakemake order their mtimes."""
    for line in dry_output.splitlines():
        if line.strip().startswith("output:"):
            for name in line.split("output:", 1)[1].split(","):
                path = workdir / name.strip()
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()


def slurm_probe_seconds() -> float | None:
    """Seconds ``scontrol show config`` takes (None without SLURM), capped like the plugin's 10 s."""
    if shutil.which("scontrol") is None:
        return None
    started = time.perf_counter()
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run(["scontrol", "show", "config"], capture_output=True, timeout=10)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=10_582)
    parser.add_argument("--eval-images", type=int, default=1_464)
    parser.add_argument("--val-images", type=int, default=1_449)
    parser.add_argument("--images-per-shard", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sweep", type=int, default=0, help="values of a gcn.train.steps sweep (0: none)")
    args = parser.parse_args()
    targets = ["all", "sweep"] if args.sweep else []

    with tempfile.TemporaryDirectory(prefix="wsgcn-dag-") as tmp:
        workdir = Path(tmp)
        make_dataset(workdir / "VOC2012", args.images, args.eval_images, args.val_images)
        config = write_config(workdir, args.images_per_shard, args.sweep)
        dry_times = []
        for _ in range(args.repeats):
            elapsed, dry_output = snakemake(workdir, config, *targets, "-n")
            dry_times.append(elapsed)
        stats = job_stats(dry_output)
        slurm_jobs = submitted_jobs(stats)
        create_outputs(workdir, dry_output)
        snakemake(workdir, config, *targets, "--touch", "--cores", "1")
        noop_times = []
        for _ in range(args.repeats):
            elapsed, noop_output = snakemake(workdir, config, *targets, "--cores", "2")
            if "Nothing to be done" not in noop_output:
                raise SystemExit(f"the rerun was not a no-op:\n{noop_output[-3000:]}")
            noop_times.append(elapsed)
        changed = write_config(workdir, args.images_per_shard, args.sweep, "gcn_change.yaml", gcn_train={"lr": 0.02})
        # --touch records no metadata, so Snakemake cannot see that a sweep table's inputs moved
        # to new folders (a real run's metadata can): forcing the table schedules what they need
        forced = ["--forcerun", "sweep_table"] if args.sweep else []
        gcn_stats = job_stats(snakemake(workdir, changed, *targets, "-n", *forced)[1])
        per_shard = yaml.safe_load(config.read_text())["sharding"]["images_per_shard"]

    print(
        f"DAG scale: {args.images} image ids, {args.eval_images} evaluated, {args.val_images} segmenter"
        f" evaluation images, images_per_shard={per_shard}"
        + (f", a sweep of {args.sweep} gcn.train.steps values (targets all, sweep)" if args.sweep else "")
    )
    print("| measure | value |")
    print("|---|---|")
    for rule, count in stats.items():
        print(f"| jobs: {rule} | {count} |")
    print(f"| SLURM jobs (all but localrules) | {slurm_jobs} |")
    for rule, count in gcn_stats.items():
        print(f"| jobs after gcn.train.lr 0.01 -> 0.02: {rule} | {count} |")
    for what, times in (("dry run", dry_times), ("no-op rerun", noop_times)):
        spread = f"min {min(times):.1f}, max {max(times):.1f}"
        print(f"| {what}, median of {args.repeats} (s) | {statistics.median(times):.1f} ({spread}) |")
    probe = slurm_probe_seconds()
    probe_text = "no SLURM here" if probe is None else f"{probe:.1f}"
    print(f"| SLURM plugin's start-up probe, scontrol show config (s) | {probe_text} |")


if __name__ == "__main__":
    main()
