"""Downloaded data is never unpickled, and saved models load in safe mode."""

import ast

import pytest

from conftest import REPOSITORY

SOURCES = sorted((REPOSITORY / "dl_exercises").glob("*.py")) + sorted((REPOSITORY / "scripts").glob("*.py"))


def calls_named(tree, name):
    """Return the calls in `tree` whose function is `name` or `<module>.name`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            called = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
            if called == name:
                found.append(node)
    return found


def keyword_value(call, name):
    for keyword in call.keywords:
        if keyword.arg == name and isinstance(keyword.value, ast.Constant):
            return keyword.value.value
    return None


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_no_pickle_import(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"pickle", "cPickle", "dill", "joblib"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_np_load_disallows_pickle(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for call in calls_named(tree, "load"):
        function = call.func
        if isinstance(function, ast.Attribute) and getattr(function.value, "id", None) in ("np", "numpy"):
            assert keyword_value(call, "allow_pickle") is False, f"{path.name}:{call.lineno}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_load_model_uses_safe_mode(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for call in calls_named(tree, "load_model"):
        assert keyword_value(call, "safe_mode") is True, f"{path.name}:{call.lineno}"


def test_checks_find_the_calls():
    # The checks above must see the real calls, or they pass vacuously.
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES]
    assert sum(len(calls_named(tree, "load_model")) for tree in trees) >= 1
    numpy_loads = [
        call
        for tree in trees
        for call in calls_named(tree, "load")
        if getattr(getattr(call.func, "value", None), "id", None) in ("np", "numpy")
    ]
    assert len(numpy_loads) >= 1
