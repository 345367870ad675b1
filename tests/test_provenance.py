from wsgcn.provenance import PACKAGE_ROOT, module_sources


def test_stage_sources_follow_imports_transitively():
    files = {p.relative_to(PACKAGE_ROOT).as_posix() for p in module_sources("wsgcn.cam.stage")}
    # direct imports, imports of imports, and the packages' __init__ files
    for expected in ("cam/stage.py", "cam/infer.py", "models/efficientnet_lite.py", "io/atomic.py", "__init__.py", "cam/__init__.py"):
        assert expected in files
    # modules the stage does not import are not dependencies
    assert "cli.py" not in files and "data/demo.py" not in files


def test_unknown_and_external_modules_are_ignored():
    assert module_sources("numpy", "wsgcn.does_not_exist") == []
