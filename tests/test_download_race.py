"""Two snakemake processes started at once, racing for the same subset and cache."""

import os
import subprocess

import numpy as np
import pytest

from dl_exercises.files import load_arrays, read_json, sha256_file
from http_mirror import MirrorServer
from workflow_helpers import SNAKEMAKE, copy_workflow, planned_jobs, tiny_config, write_config, write_svhn_mat

pytestmark = pytest.mark.workflow

SVHN_FILES = ["train_32x32.mat", "test_32x32.mat"]
# Exercises 5 and 6 both use this subset in the tiny configuration.
SUBSET = "data/subsets/svhn/train60_test30.npz"
LOCK_MESSAGE = "Directory cannot be locked"


@pytest.fixture
def mirror(tmp_path):
    folder = write_svhn_mat(tmp_path / "mirror", n_train=80, n_test=40)
    server = MirrorServer(folder).start()
    yield server
    server.stop()


def prepare_workdir(workdir, shared_data, mirror):
    """Copy the workflow into `workdir` with SVHN served by `mirror`."""
    workdir.mkdir()
    copy_workflow(workdir)
    config = tiny_config(shared_data, mirror.folder)
    config["datasets"]["svhn"] = {
        "source": "mirror",
        "url": mirror.base_url,
        "files": {name: {"sha256": sha256_file(mirror.folder / name)} for name in SVHN_FILES},
        "stand_in": True,
    }
    write_config(workdir, config)


def start_snakemake(workdir, keras_home):
    """Start snakemake for the subset alone, with `keras_home` as $KERAS_HOME."""
    return subprocess.Popen(
        [SNAKEMAKE, SUBSET, "--cores", "1", "--configfile", "tiny.yaml"],
        cwd=workdir,
        env=dict(os.environ, KERAS_HOME=str(keras_home)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(processes):
    """Wait for every process; return [(return code, output)]."""
    return [(process.wait(timeout=600), process.communicate()[0]) for process in processes]


def assert_valid_subset(workdir):
    arrays = load_arrays(
        workdir / SUBSET,
        {"x_train": (np.uint8, 4), "y_train": (np.uint8, 1), "x_test": (np.uint8, 4), "y_test": (np.uint8, 1)},
    )
    assert arrays["x_train"].shape == (60, 32, 32, 3)
    assert arrays["y_test"].shape == (30,)
    manifest = read_json((workdir / SUBSET).with_suffix(".json"))
    assert manifest["source"]["source"] == "mirror"
    leftovers = [path.name for path in (workdir / "data").rglob("*") if ".tmp" in path.name or ".part" in path.name]
    assert leftovers == []


def assert_one_cache_entry_per_file(keras_home, mirror):
    folder = keras_home / "datasets"
    entries = sorted(path.name for path in folder.iterdir() if not path.name.endswith(".lock"))
    assert entries == sorted(SVHN_FILES)
    for name in SVHN_FILES:
        assert sha256_file(folder / name) == sha256_file(mirror.folder / name)


def test_same_directory_second_run_rejected(shared_data, mirror, tmp_path):
    workdir = tmp_path / "run"
    prepare_workdir(workdir, shared_data, mirror)
    keras_home = tmp_path / "keras"

    results = finish([start_snakemake(workdir, keras_home) for _ in range(2)])

    # Snakemake locks the working directory: the run that gets the lock
    # builds the subset, and a run started while it holds the lock stops
    # with Snakemake's lock error before running any job. A run that starts
    # after the first one finished finds nothing to do.
    succeeded = [output for code, output in results if code == 0]
    rejected = [output for code, output in results if code != 0]
    assert len(succeeded) >= 1, results
    for output in rejected:
        assert LOCK_MESSAGE in output
    assert_valid_subset(workdir)
    assert_one_cache_entry_per_file(keras_home, mirror)
    assert sorted(mirror.requests) == sorted(SVHN_FILES)
    assert planned_jobs(workdir, SUBSET) == {}


def test_two_directories_share_cache(shared_data, mirror, tmp_path):
    workdirs = [tmp_path / "first", tmp_path / "second"]
    for workdir in workdirs:
        prepare_workdir(workdir, shared_data, mirror)
    keras_home = tmp_path / "keras"

    results = finish([start_snakemake(workdir, keras_home) for workdir in workdirs])

    for code, output in results:
        assert code == 0, output[-3000:]
    for workdir in workdirs:
        assert_valid_subset(workdir)
    # The cache lock lets one run download each file; the other copies it.
    assert sorted(mirror.requests) == sorted(SVHN_FILES)
    assert_one_cache_entry_per_file(keras_home, mirror)
    manifests = [read_json(workdir / "data" / "raw" / "svhn" / "manifest.json") for workdir in workdirs]
    assert sorted(len(manifest["from_cache"]) for manifest in manifests) == [0, 2]
