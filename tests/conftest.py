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
