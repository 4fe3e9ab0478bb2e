"""Provenance read at report time: git commit, package versions, job runtimes."""

import importlib.metadata
import logging
import platform
import subprocess
from pathlib import Path

import pandas as pd

logger = logging.getLogger(__name__)

# Packages of the report's own process whose versions the report lists.
REPORT_PACKAGES = ("snakemake", "numpy", "scipy", "pandas", "matplotlib", "jinja2")

# Columns of Snakemake's benchmark TSV shown in the report.
BENCHMARK_COLUMNS = ("s", "max_rss", "cpu_time")


def git_commit(folder="."):
    """Return `git rev-parse HEAD` of `folder`, with " (uncommitted changes)" when dirty.

    Returns "unknown" when `folder` is not inside a git checkout or git is
    not installed.
    """
    try:
        commit = _git_output(folder, "rev-parse", "HEAD")
        status = _git_output(folder, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError) as error:
        logger.info("no git commit for %s: %s", folder, error)
        return "unknown"
    return f"{commit} (uncommitted changes)" if status else commit


def _git_output(folder, *arguments):
    return subprocess.run(
        ["git", *arguments],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()


def package_versions(packages=REPORT_PACKAGES):
    """Return {package: version} of Python and `packages`, "not installed" for a missing one."""
    versions = {"python": platform.python_version()}
    for package in packages:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def benchmark_rows(paths):
    """Return one row per Snakemake benchmark file: rule, job, seconds, memory, CPU time.

    Args:
        paths: files named benchmarks/{rule}/{wildcard parts}.tsv or
            benchmarks/{rule}.tsv, each a Snakemake benchmark TSV.

    Returns:
        A list of dicts with `rule`, `job` (the wildcard part of the path,
        "" for a rule without wildcards), `seconds`, `max_rss_mb` and
        `cpu_seconds` (None where the TSV has no value), sorted by rule and job.
    """
    rows = []
    for path in paths:
        path = Path(path)
        parts = path.with_suffix("").parts
        index = parts.index("benchmarks") if "benchmarks" in parts else len(parts) - 2
        rule = parts[index + 1]
        job = "/".join(parts[index + 2 :])
        table = pd.read_csv(path, sep="\t")
        first = table.iloc[0] if len(table) else {}
        values = {column: _number(first.get(column)) for column in BENCHMARK_COLUMNS}
        rows.append(
            {
                "rule": rule,
                "job": job,
                "seconds": values["s"],
                "max_rss_mb": values["max_rss"],
                "cpu_seconds": values["cpu_time"],
            }
        )
    return sorted(rows, key=lambda row: (row["rule"], row["job"]))


def _number(value):
    """Return `value` as a float, or None for a missing or non-numeric entry ("-")."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number
