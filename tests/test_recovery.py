"""Byte-identical re-runs from scratch, recovery after SIGKILL, and failed-job messages."""

import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest
import scipy.io

from workflow_helpers import (
    prepare_tiny_workflow,
    run_snakemake,
    snakemake_command,
    snakemake_environment,
)

pytestmark = pytest.mark.workflow

# Files that must be byte-identical between two runs from scratch.
COMPARED = [
    "results/answers.json",
    "results/answers.csv",
    "results/features/ex4.npz",
    "results/mc_dropout/ex3/seed42/probabilities.npz",
    "results/mc_dropout/ex6/seed42/probabilities.npz",
    "results/mc_dropout/ex6/seed42/metrics.json",
] + [
    f"results/training/{exercise}/seed42/{name}"
    for exercise in ("ex1", "ex2", "ex3", "ex4", "ex5", "ex6")
    for name in ("model.keras", "history.csv", "evaluation.json", "predictions.npz")
]

TRAINING_OUTPUTS = ("model.keras", "history.csv", "evaluation.json", "predictions.npz")


def assert_same_bytes(first, second, relative_paths):
    for relative in relative_paths:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative


@pytest.fixture(scope="module")
def second_run(tmp_path_factory, shared_data, synthetic_svhn):
    """Run the tiny workflow from scratch in a second folder."""
    workdir = prepare_tiny_workflow(
        tmp_path_factory.mktemp("second-run"), shared_data, synthetic_svhn
    )
    process = run_snakemake(workdir)
    assert process.returncode == 0, process.stderr[-6000:]
    return workdir


def test_rerun_from_scratch_is_byte_identical(completed_run, second_run):
    assert_same_bytes(completed_run, second_run, COMPARED)


def test_outputs_record_seed_threads_versions(completed_run):
    evaluation = json.loads(
        (completed_run / "results/training/ex1/seed42/evaluation.json").read_text()
    )
    assert evaluation["seed"] == 42
    assert evaluation["threads"] == 1
    assert evaluation["deterministic"] is True
    assert evaluation["versions"]["tensorflow"] == "2.21.0"
    assert evaluation["versions"]["keras"] == "3.15.1"


def wait_for_line(path, text, process, timeout):
    """Wait until `path` contains `text`; fail if `process` ends or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(encoding="utf-8", errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(f"snakemake ended (exit {process.returncode}) before {path} showed {text!r}")
        time.sleep(0.2)
    pytest.fail(f"{path} did not show {text!r} within {timeout} s")


def test_sigkill_mid_epoch_then_rerun_matches(completed_run, tmp_path, shared_data, synthetic_svhn):
    workdir = prepare_tiny_workflow(tmp_path, shared_data, synthetic_svhn)
    # A long run of ex1 so that the kill lands inside training.
    (workdir / "slow.yaml").write_text(
        "exercises:\n  ex1:\n    training:\n      epochs: 400\n      early_stopping: null\n",
        encoding="utf-8",
    )
    target = "results/training/ex1/seed42/model.keras"
    process = subprocess.Popen(
        snakemake_command(target, configfiles=("tiny.yaml", "slow.yaml")),
        cwd=workdir,
        env=snakemake_environment(workdir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_line(workdir / "logs/train/ex1/seed42.log", "epoch 3:", process, timeout=300)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)

    # Nothing under a final output name survives the kill.
    training_folder = workdir / "results/training/ex1/seed42"
    for name in TRAINING_OUTPUTS:
        assert not (training_folder / name).exists(), name

    # The killed snakemake leaves its directory lock behind; the README's
    # recovery is `--unlock`, then the plain command.
    unlocked = run_snakemake(workdir, "--unlock", timeout=300)
    assert unlocked.returncode == 0, unlocked.stderr[-4000:]
    finished = run_snakemake(workdir)
    if finished.returncode != 0 and "--rerun-incomplete" in finished.stderr:
        finished = run_snakemake(workdir, "--rerun-incomplete")
    assert finished.returncode == 0, finished.stderr[-6000:]
    assert_same_bytes(completed_run, workdir, COMPARED)


def test_failed_job_names_its_log(tmp_path, shared_data):
    svhn = tmp_path / "svhn-bad-labels"
    svhn.mkdir()
    workdir = prepare_tiny_workflow(tmp_path / "run", shared_data, svhn)
    images = np.zeros((32, 32, 3, 80), dtype=np.uint8)
    labels = np.full((80, 1), 11, dtype=np.uint8)
    scipy.io.savemat(svhn / "train_32x32.mat", {"X": images, "y": labels})
    scipy.io.savemat(svhn / "test_32x32.mat", {"X": images, "y": np.ones((80, 1), np.uint8)})
    target = "data/subsets/svhn/train60_test30.npz"
    process = run_snakemake(workdir, target, timeout=300)
    assert process.returncode != 0
    # The fetch job reads the files once, so the bad labels stop it there.
    log = "logs/fetch_dataset/svhn.log"
    assert f"log: {log} (check log file(s) for error details)" in process.stderr
    log_text = (workdir / log).read_text(encoding="utf-8")
    assert "has labels from 11 to 11, but SVHN labels must be 1-10" in log_text
    assert not (workdir / "data/raw/svhn").exists()
    assert not (workdir / target).exists()
