import os
import shutil
import subprocess
import sys

from wsgcn.provenance import PACKAGE_ROOT, code_digest, module_sources


def _sources(module: str) -> set[str]:
    return {p.relative_to(PACKAGE_ROOT).as_posix() for p in module_sources(module)}


def test_step_sources_follow_imports_transitively():
    files = _sources("wsgcn.steps.cam")
    # direct imports, imports of imports, and the packages' __init__ files
    for expected in (
        "steps/cam.py",
        "cam/infer.py",
        "models/efficientnet_lite.py",
        "io/atomic.py",
        "__init__.py",
        "cam/__init__.py",
    ):
        assert expected in files
    # modules the step does not import are not dependencies
    assert "cli.py" not in files and "data/demo.py" not in files and "cam/train.py" not in files


def test_each_step_depends_on_its_own_algorithms_only():
    # editing one algorithm must not rerun (or retrain) the steps that never run it
    assert "affinity/random_walk.py" not in _sources("wsgcn.steps.train_irn") | _sources("wsgcn.steps.boundary")
    assert "affinity/train.py" not in _sources("wsgcn.steps.random_walk")
    assert "gcn/loss.py" not in _sources("wsgcn.steps.partial_labels")
    assert "cam/infer.py" not in _sources("wsgcn.steps.train_cam")
    segmentation = (
        _sources("wsgcn.steps.seg_data") | _sources("wsgcn.steps.train_seg") | _sources("wsgcn.steps.segment")
    )
    assert not {path for path in segmentation if path.startswith(("affinity/", "gcn/", "cam/"))}
    assert "segmentation/deeplab.py" not in _sources("wsgcn.steps.seg_data")


def test_unknown_and_external_modules_are_ignored():
    assert module_sources("numpy", "wsgcn.does_not_exist") == []


def _gcn_digest_from(package_parent):
    """code_digest('wsgcn.steps.gcn') computed by a Python that imports the package in ``package_parent``."""
    script = "from wsgcn.provenance import code_digest; print(code_digest('wsgcn.steps.gcn'))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(package_parent)},
        cwd=package_parent,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_a_checkout_at_another_path_keeps_its_code_digests(tmp_path):
    # a project moved, or mounted at another path on a cluster node, must reuse its results
    copy = tmp_path / "elsewhere"
    shutil.copytree(PACKAGE_ROOT, copy / "wsgcn", ignore=shutil.ignore_patterns("__pycache__"))
    assert _gcn_digest_from(copy) == code_digest("wsgcn.steps.gcn")
    loss = copy / "wsgcn" / "gcn" / "loss.py"
    loss.write_text(loss.read_text() + "\n# edit\n")
    assert _gcn_digest_from(copy) != code_digest("wsgcn.steps.gcn")
