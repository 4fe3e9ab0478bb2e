"""Helpers that run the real snakemake command line on a copy of the workflow."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import scipy.io
import yaml

from conftest import REPOSITORY

# Tests and the benchmark share one workflow copy and one config merge.
sys.path.insert(0, str(REPOSITORY / "bench"))
from time_offline_run import copy_workflow, merge  # noqa: E402, F401

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def write_svhn_mat(folder, n_train, n_test, seed=0):
    """Write small random `train_32x32.mat` and `test_32x32.mat` in SVHN's layout."""
    random = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for split, count in (("train", n_train), ("test", n_test)):
        images = random.integers(0, 256, size=(32, 32, 3, count), dtype=np.uint8)
        labels = random.integers(1, 11, size=(count, 1), dtype=np.uint8)
        scipy.io.savemat(folder / f"{split}_32x32.mat", {"X": images, "y": labels})
    return folder


def tiny_config(shared_data, svhn_folder):
    """Return config overrides for a run of a few minutes on two CPU cores."""
    small_training = {"epochs": 2, "batch_size": 16}
    exercises = {}
    for name, n_train, n_test in (
        ("ex1", 120, 40),
        ("ex2", 120, 40),
        ("ex3", 120, 40),
        ("ex4", 60, 30),
        ("ex5", 60, 30),
        ("ex6", 60, 30),
    ):
        exercises[name] = {"n_train": n_train, "n_test": n_test, "training": dict(small_training)}
    exercises["ex4"]["model"] = {"image_size": 32, "feature_batch_size": 32}
    exercises["ex3"]["mc_dropout"] = {"passes": 4, "batch_size": 256}
    exercises["ex6"]["mc_dropout"] = {"passes": 4, "batch_size": 256}
    return {
        "threads": 1,
        "datasets": {
            "mnist": {"source": "local", "path": str(shared_data / "mnist")},
            "cifar10": {
                "source": "local",
                "path": str(shared_data / "cifar10" / "cifar-10-binary-subset.tar.gz"),
            },
            "svhn": {"source": "local", "path": str(svhn_folder), "stand_in": True},
        },
        "weights": {"mobilenet_v2": "none"},
        "exercises": exercises,
    }


def write_config(workdir, overrides):
    """Write config.yaml defaults merged with `overrides` as `tiny.yaml`."""
    with open(REPOSITORY / "config.yaml", encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    path = workdir / "tiny.yaml"
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(merge(config, overrides), handle, sort_keys=False)
    return path


def prepare_tiny_workflow(workdir, shared_data, svhn_folder, overrides=None):
    """Copy the workflow into `workdir` and write its tiny config; return `workdir`.

    The tiny config reads MNIST and CIFAR-10 from the shared copies and SVHN
    from `svhn_folder` (see `write_svhn_mat`). Runs that must give identical
    bytes share one `svhn_folder`, because scipy writes the creation time
    into every `.mat` file's header.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    copy_workflow(workdir)
    write_config(workdir, merge(tiny_config(shared_data, svhn_folder), overrides or {}))
    return workdir


def snakemake_command(*arguments, configfiles=("tiny.yaml",)):
    """Return the snakemake command line for the tiny config (and extra config files).

    `--configfile` comes last because it takes every following word as a file.
    """
    return [SNAKEMAKE, "--cores", "2", *arguments, "--configfile", *configfiles]


def snakemake_environment(workdir):
    """Return the environment of a test run: its own Keras cache folder."""
    return dict(os.environ, KERAS_HOME=str(workdir / "keras-home"))


def run_snakemake(workdir, *arguments, configfiles=("tiny.yaml",), timeout=1500):
    """Run snakemake in `workdir` and return the completed process."""
    return subprocess.run(
        snakemake_command(*arguments, configfiles=configfiles),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=snakemake_environment(workdir),
        check=False,
    )


def planned_job_set(workdir, configfiles=("tiny.yaml",)):
    """Return the jobs a dry run plans, as `rule[wildcards]` or `rule` strings."""
    process = run_snakemake(workdir, "--dry-run", configfiles=configfiles, timeout=300)
    assert process.returncode == 0, process.stderr + process.stdout
    jobs = set()
    current = None
    for line in (process.stdout + process.stderr).splitlines():
        match = re.match(r"^(?:local)?rule (\w+):$", line.strip())
        if match:
            if current:
                jobs.add(current)
            current = match.group(1)
        elif current and line.strip().startswith("wildcards:"):
            current = f"{current}[{line.strip().removeprefix('wildcards:').strip()}]"
    if current:
        jobs.add(current)
    return jobs


def planned_jobs(workdir, *arguments):
    """Return {rule: job count} that a dry run of snakemake plans."""
    process = run_snakemake(workdir, "--dry-run", *arguments, timeout=300)
    assert process.returncode == 0, process.stderr + process.stdout
    output = process.stdout + process.stderr
    if "Nothing to be done" in output:
        return {}
    jobs = {}
    table = output.split("Job stats:", 1)[1]
    for line in table.splitlines():
        match = re.match(r"^(\w+)\s+(\d+)\s*$", line.strip())
        if match and match.group(1) != "total":
            jobs[match.group(1)] = int(match.group(2))
    return jobs
