"""The conda environments and pyproject.toml pin the same packages."""

import re
import tomllib

import yaml

from conftest import REPOSITORY

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)$")


def parse_pins(requirements):
    """Return {normalised name: version} for `name==version` strings."""
    pins = {}
    for requirement in requirements:
        match = PIN.match(requirement.strip())
        if match:
            name = match.group(1).lower().replace("_", "-")
            pins[name] = match.group(2)
    return pins


def pyproject_pins():
    with open(REPOSITORY / "pyproject.toml", "rb") as handle:
        project = tomllib.load(handle)["project"]
    return parse_pins(project["dependencies"])


def conda_pip_requirements(path):
    with open(path, encoding="utf-8") as handle:
        environment = yaml.safe_load(handle)
    for dependency in environment["dependencies"]:
        if isinstance(dependency, dict) and "pip" in dependency:
            return dependency["pip"]
    return []


def test_every_dependency_is_pinned():
    with open(REPOSITORY / "pyproject.toml", "rb") as handle:
        project = tomllib.load(handle)["project"]
    unpinned = [item for item in project["dependencies"] if not PIN.match(item)]
    assert unpinned == []


def test_conda_envs_match_pyproject():
    expected = pyproject_pins()
    environments = sorted((REPOSITORY / "envs").glob("*.yaml"))
    assert environments, "no conda environment under envs/"
    for path in environments:
        listed = parse_pins(conda_pip_requirements(path))
        assert listed == expected, f"{path.name} differs from pyproject.toml"


def test_conda_envs_pin_python_311():
    for path in sorted((REPOSITORY / "envs").glob("*.yaml")):
        with open(path, encoding="utf-8") as handle:
            dependencies = yaml.safe_load(handle)["dependencies"]
        assert "python=3.11" in dependencies, path.name
