"""Static gates: config reaches scripts through params, lint and format are clean."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPOSITORY

BIN = Path(sys.executable).parent
SCRIPTS = sorted((REPOSITORY / "scripts").glob("*.py"))


def config_reads(path):
    """Return the line numbers where a script reads `snakemake.config`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "config"
            and isinstance(node.value, ast.Name)
            and node.value.id == "snakemake"
        ):
            lines.append(node.lineno)
        if isinstance(node, ast.Name) and node.id == "config":
            lines.append(node.lineno)
    return lines


def test_scripts_exist():
    assert len(SCRIPTS) >= 9


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_script_reads_no_config(script):
    assert config_reads(script) == []


def test_config_read_is_detected(tmp_path):
    script = tmp_path / "reads_config.py"
    script.write_text("epochs = snakemake.config['exercises']['ex1']\n", encoding="utf-8")
    assert config_reads(script) == [1]


def test_snakemake_lint_is_clean():
    process = subprocess.run(
        [str(BIN / "snakemake"), "--lint"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    assert "Congratulations, your workflow is in a good condition!" in process.stdout + process.stderr


def test_snakefmt_check_is_clean():
    process = subprocess.run(
        [str(BIN / "snakefmt"), "--check", "Snakefile", "rules"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert process.returncode == 0, process.stdout + process.stderr
