"""The execution profiles: the SLURM profile asks for a GPU exactly where a rule can use one."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml
from conftest import PROJECT, run_snakemake
from test_workflow import tiny_cam_config, write_config

from wsgcn.segmentation.training_set import LABEL_SOURCES

sys.path.insert(0, str(PROJECT / "benchmarks"))
from dag_scale import local_rules

SLURM = yaml.safe_load((PROJECT / "profiles" / "slurm" / "profile.yaml").read_text())
SLURM_ENV = {"WSGCN_SLURM_ACCOUNT": "acct", "WSGCN_SLURM_PARTITION": "cpu", "WSGCN_SLURM_GPU_PARTITION": "gpu"}


@pytest.fixture(scope="module")
def every_rule_dry_run(tmp_path_factory) -> str:
    """A dry run (with shell commands) of a DAG holding every rule: all label sources,
    Table 2, and a sweep setting with external CAMs (the dry run needs only the files)."""
    workdir = tmp_path_factory.mktemp("profiles")
    config = tiny_cam_config()
    config["segmentation"]["compare_labels"] = [s for s in LABEL_SOURCES if s != config["segmentation"]["labels"]]
    config["segmentation"]["external_labels_dir"] = "external_labels"
    external = {"cam": {"source": "external", "external": {"dir": "external_cams"}}}
    config["sweeps"] = {"cams": {"settings": {"internal": {}, "external": external}}}
    for folder, suffix in (("external_labels", ".png"), ("external_cams", ".npy")):
        (workdir / folder).mkdir()
        for index in range(config["demo"]["num_images"]):
            (workdir / folder / f"demo_{index:04d}{suffix}").touch()
    config_path = write_config(workdir, config)
    return run_snakemake(
        workdir,
        "all",
        "table2",
        "sweep",
        "-n",
        "-p",
        "--configfile",
        config_path,
        "--profile",
        str(PROJECT / "profiles" / "slurm"),
        env=SLURM_ENV,
    ).stdout


def _jobs(dry_run: str) -> list[tuple[str, str]]:
    """(rule, job block text) of every job of a dry run."""
    blocks = re.split(r"^\[[^\]]+\]\n", dry_run, flags=re.M)
    return [(match.group(1), block) for block in blocks if (match := re.match(r"rule (\w+):", block))]


def test_profiles_are_snakemake_9_profiles_and_only_slurm_submits():
    default = yaml.safe_load((PROJECT / "profiles" / "default" / "profile.yaml").read_text())
    assert "executor" not in default  # applied to every run
    assert SLURM["executor"] == "slurm" and SLURM["scheduler"] == "greedy" and SLURM["retries"] >= 1
    assert {"slurm_account", "slurm_partition", "mem_mb", "runtime"} <= set(SLURM["default-resources"])
    for rule, resources in SLURM["set-resources"].items():
        assert "gres" not in resources, f"{rule}: gpu and gres together (plugin 2.8 passes both)"


def test_exactly_the_rules_that_take_a_device_ask_for_a_gpu(every_rule_dry_run: str):
    jobs = _jobs(every_rule_dry_run)
    rules = {rule for rule, _ in jobs}
    assert {"train_seg", "segment", "seg_crf", "gcn", "gcn_crf", "rw_crf", "import_cam"} <= rules  # every rule
    takes_device = {rule for rule, block in jobs if "--device" in block}
    asks_gpu = {rule for rule, resources in SLURM["set-resources"].items() if resources.get("gpu")}
    assert takes_device == asks_gpu
    local = local_rules()
    for rule, block in jobs:
        if rule in local:
            continue
        (resources,) = re.findall(r"^\s+resources: (.*)$", block, re.M)
        if rule in asks_gpu:
            assert "gpu=1" in resources and "slurm_partition=gpu" in resources, rule
        else:
            assert "gpu=" not in resources and "slurm_partition=cpu" in resources, rule
        assert "slurm_account=acct" in resources


def test_cheap_aggregates_run_in_the_snakemake_process():
    assert local_rules() == {
        "all",
        "baseline",
        "demo_data",
        "check_inputs",
        "stage_params",
        "code_stamp",
        "seg_split",
        "table1",
        "table2",
        "segmentation_table",
        "sweep_table",
        "sweep",
        "report",
        "export",
    }


def test_profile_names_only_existing_rules(tmp_path: Path):
    # one rule per stage: the rules do not depend on the config's label sets or sweeps
    listed = run_snakemake(tmp_path, "--list-rules", "--configfile", write_config(tmp_path, tiny_cam_config())).stdout
    assert set(SLURM["set-resources"]) <= set(listed.split())
