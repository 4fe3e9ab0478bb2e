"""Time the whole workflow from scratch on the offline data sources.

Copies the workflow into a fresh folder, points `configs/offline.yaml`'s
relative paths at this repository's `../shared/data`, runs
`snakemake --cores 4` there and prints the wall time and the slowest jobs
from the `benchmarks/` records. Snakemake's console output goes to
`snakemake-output.log` in that folder. The folder is removed afterwards
unless `--keep` is given or the run failed.

Usage: .venv/bin/python bench/time_offline_run.py [--keep]
"""

import argparse
import csv
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPOSITORY = Path(__file__).resolve().parents[1]
LOG_NAME = "snakemake-output.log"
PARTS = ("Snakefile", "rules", "scripts", "schemas", "report", "envs", "profiles", "config.yaml")


def absolute_offline_config(destination, overrides=None):
    """Write configs/offline.yaml with its paths made absolute.

    Args:
        destination: folder of the written `offline.yaml`.
        overrides: nested dict merged over the offline config, such as
            smaller subsets for a quick check; Snakemake merges the result
            over `config.yaml` key by key.
    """
    with open(REPOSITORY / "configs" / "offline.yaml", encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    for source in config["datasets"].values():
        source["path"] = str((REPOSITORY / source["path"]).resolve())
    weights = config["weights"]["mobilenet_v2"]
    config["weights"]["mobilenet_v2"] = str((REPOSITORY / weights).resolve())
    config = merge(config, overrides or {})
    path = destination / "offline.yaml"
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle)
    return path


def merge(base, overrides):
    """Return `base` updated recursively with `overrides`."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def job_records(workdir):
    """Return (seconds, job, max RSS in MB) of every job, slowest first, from the benchmark records."""
    records = []
    for path in (workdir / "benchmarks").rglob("*.tsv"):
        with open(path, encoding="utf-8") as handle:
            row = next(csv.DictReader(handle, delimiter="\t"))
        name = str(path.relative_to(workdir / "benchmarks").with_suffix(""))
        records.append((float(row["s"]), name, float(row["max_rss"])))
    return sorted(records, reverse=True)


def slowest_jobs(workdir, count=8):
    """Return (seconds, job, max RSS in MB) of the slowest jobs, from the benchmark records."""
    return job_records(workdir)[:count]


def copy_workflow(destination=None):
    """Copy the workflow files (not data or results) into `destination` and return its path.

    Args:
        destination: an existing folder; None makes a new temporary one.
    """
    workdir = destination
    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="dl-exercises-bench-"))
    for part in PARTS:
        source = REPOSITORY / part
        if source.is_dir():
            shutil.copytree(source, workdir / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, workdir / part)
    return workdir


def run_workflow(workdir, config, targets=()):
    """Run `snakemake --cores 4` from scratch in `workdir`; return (command, exit code, seconds).

    Args:
        targets: files to build; none builds the whole workflow.
    """
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    # --configfile takes every following word as a file, so targets go first.
    command = [snakemake, *targets, "--cores", "4", "--quiet", "--configfile", str(config)]
    started = time.perf_counter()
    # Snakemake's and TensorFlow's console output goes to a file in the run
    # folder, so the figures stay readable.
    with open(workdir / LOG_NAME, "w", encoding="utf-8") as log:
        process = subprocess.run(command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    return command, process.returncode, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the run folder and print its path")
    arguments = parser.parse_args()

    workdir = copy_workflow()
    config = absolute_offline_config(workdir)
    command, returncode, elapsed = run_workflow(workdir, config)

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"command: {' '.join(command[1:])} (in a fresh copy of the workflow)")
    print(f"exit code: {returncode} (Snakemake's output: {workdir / LOG_NAME})")
    print(f"wall time: {elapsed:.1f} s")
    print("slowest jobs (s, job, max RSS MB):")
    for seconds, name, rss in slowest_jobs(workdir):
        print(f"  {seconds:8.1f}  {name}  {rss:.0f}")
    if arguments.keep or returncode != 0:
        print(f"run folder: {workdir}")
    else:
        shutil.rmtree(workdir)
    return returncode


if __name__ == "__main__":
    sys.exit(main())
