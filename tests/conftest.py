"""Shared fixtures: the real data under ../shared/data and small helpers."""

import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
SHARED_DATA = REPOSITORY.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data():
    """Return ../shared/data; fail in CI and skip elsewhere when it is missing."""
    if not SHARED_DATA.is_dir():
        message = (
            f"real data folder {SHARED_DATA} not found; CI and the data tests "
            "need ../shared/data beside the repository"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture(scope="session")
def synthetic_svhn(tmp_path_factory):
    """Return a folder with small random SVHN `.mat` files, written once per session."""
    from workflow_helpers import write_svhn_mat

    return write_svhn_mat(tmp_path_factory.mktemp("svhn-synthetic"), n_train=80, n_test=40)


@pytest.fixture(scope="session")
def completed_run(tmp_path_factory, shared_data, synthetic_svhn):
    """Run the whole tiny workflow once per session; return its working directory.

    Tests may read its outputs and plan dry runs on it. A test that changes
    its files must restore them before it returns.
    """
    from workflow_helpers import prepare_tiny_workflow, run_snakemake

    workdir = prepare_tiny_workflow(
        tmp_path_factory.mktemp("completed-run"), shared_data, synthetic_svhn
    )
    process = run_snakemake(workdir)
    assert process.returncode == 0, process.stderr[-6000:]
    return workdir
