"""Tests of the subset cache: first N samples, manifest, size errors."""

import numpy as np
import pytest

from dl_exercises.files import load_arrays, read_json, sha256_array
from dl_exercises.readers import read_dataset
from dl_exercises.sources import fetch_dataset
from dl_exercises.subsets import extract_subset

EXPECTED_ARRAYS = {
    "x_train": (np.uint8, 4),
    "y_train": (np.uint8, 1),
    "x_test": (np.uint8, 4),
    "y_test": (np.uint8, 1),
}


@pytest.fixture(scope="module")
def raw_mnist(shared_data, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("raw") / "mnist"
    fetch_dataset("mnist", {"source": "local", "path": str(shared_data / "mnist")}, out_dir)
    return out_dir


@pytest.fixture(scope="module")
def raw_cifar10(shared_data, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("raw") / "cifar10"
    archive = shared_data / "cifar10" / "cifar-10-binary-subset.tar.gz"
    fetch_dataset("cifar10", {"source": "local", "path": str(archive)}, out_dir)
    return out_dir


def test_subset_first_samples(raw_mnist, tmp_path):
    arrays_path = tmp_path / "train1000_test200.npz"
    manifest_path = tmp_path / "train1000_test200.json"
    extract_subset(raw_mnist, 1000, 200, arrays_path, manifest_path, dataset="mnist")

    subset = load_arrays(arrays_path, EXPECTED_ARRAYS)
    full = read_dataset("mnist", raw_mnist)
    assert subset["x_train"].shape == (1000, 28, 28, 1)
    assert subset["x_test"].shape == (200, 28, 28, 1)
    assert subset["y_train"][:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.array_equal(subset["x_train"], full["x_train"][:1000])
    assert np.array_equal(subset["y_test"], full["y_test"][:200])


def test_subset_manifest(raw_cifar10, tmp_path):
    arrays_path = tmp_path / "train50_test10.npz"
    manifest_path = tmp_path / "train50_test10.json"
    extract_subset(raw_cifar10, 50, 10, arrays_path, manifest_path)

    manifest = read_json(manifest_path)
    subset = load_arrays(arrays_path, EXPECTED_ARRAYS)
    assert manifest["dataset"] == "cifar10"
    assert manifest["n_train"] == 50
    assert manifest["n_test"] == 10
    assert manifest["order"].startswith("Keras order")
    assert manifest["source"] == read_json(raw_cifar10 / "manifest.json")
    assert manifest["arrays"]["x_train"]["shape"] == [50, 32, 32, 3]
    assert manifest["arrays"]["y_test"]["dtype"] == "uint8"
    for name, array in subset.items():
        assert manifest["arrays"][name]["sha256"] == sha256_array(array)


def test_subset_larger_than_source(raw_cifar10, tmp_path):
    arrays_path = tmp_path / "train5001_test10.npz"
    with pytest.raises(ValueError) as error:
        extract_subset(raw_cifar10, 5001, 10, arrays_path, tmp_path / "train5001_test10.json")

    message = str(error.value)
    assert "n_train is 5001" in message
    assert "cifar10 train split" in message
    assert "contains 5000 samples" in message
    assert "exercises.<name>.n_train" in message
    assert not arrays_path.exists()


def test_subset_test_split_too_small(raw_cifar10, tmp_path):
    with pytest.raises(ValueError, match="n_test is 1001, but the cifar10 test split"):
        extract_subset(raw_cifar10, 10, 1001, tmp_path / "a.npz", tmp_path / "a.json")


def test_subset_other_dataset_rejected(raw_mnist, tmp_path):
    with pytest.raises(ValueError, match="contains dataset 'mnist', expected 'svhn'"):
        extract_subset(raw_mnist, 10, 10, tmp_path / "a.npz", tmp_path / "a.json", dataset="svhn")
