"""Tests of the MobileNetV2 weights stage: local file, Keras cache, bad inputs."""

import shutil

import h5py
import pytest

from dl_exercises.files import read_json
from dl_exercises.weights import KERAS_WEIGHTS_BASE_URL, KERAS_WEIGHTS_FILE, fetch_weights

SHARED_WEIGHTS_SHA256 = "71e4c4ec4aa24c9c951b9265d6de42e1336dcf614c2214fa6a989208615e232c"


@pytest.fixture
def shared_weights(shared_data):
    return shared_data / "mobilenet_v2" / KERAS_WEIGHTS_FILE


def test_weights_from_path(shared_weights, tmp_path):
    weights_path = tmp_path / "weights" / "mobilenet_v2.h5"
    manifest_path = tmp_path / "weights" / "mobilenet_v2.json"
    fetch_weights(str(shared_weights), weights_path, manifest_path)

    manifest = read_json(manifest_path)
    assert weights_path.read_bytes() == shared_weights.read_bytes()
    assert manifest == {
        "weights": str(shared_weights),
        "sha256": SHARED_WEIGHTS_SHA256,
        "bytes": 9421704,
        "origin": str(shared_weights),
    }


def test_weights_imagenet_from_keras_cache(shared_weights, tmp_path, monkeypatch):
    from keras.src.utils import file_utils

    # A cache seeded with the file must be used as is: any download fails.
    def no_download(*args, **kwargs):
        raise AssertionError("get_file tried to download although the file is cached")

    monkeypatch.setattr(file_utils, "urlretrieve", no_download)
    cache = tmp_path / "keras"
    (cache / "models").mkdir(parents=True)
    shutil.copy(shared_weights, cache / "models" / KERAS_WEIGHTS_FILE)

    manifest = fetch_weights(
        "imagenet", tmp_path / "mobilenet_v2.h5", tmp_path / "mobilenet_v2.json", cache_dir=str(cache)
    )
    assert manifest["weights"] == "imagenet"
    assert manifest["sha256"] == SHARED_WEIGHTS_SHA256
    assert manifest["origin"] == KERAS_WEIGHTS_BASE_URL + KERAS_WEIGHTS_FILE
    assert read_json(tmp_path / "mobilenet_v2.json") == manifest


def test_weights_not_hdf5(tmp_path):
    path = tmp_path / "weights.h5"
    path.write_text("not HDF5")

    with pytest.raises(ValueError, match="is not a readable HDF5 file") as error:
        fetch_weights(str(path), tmp_path / "out.h5", tmp_path / "out.json")
    assert "Set weights.mobilenet_v2 to the MobileNetV2 no-top .h5 file" in str(error.value)
    assert "Keras cache" not in str(error.value)
    assert not (tmp_path / "out.h5").exists()


def test_weights_hdf5_of_another_model(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as weights_file:
        weights_file.attrs["layer_names"] = [b"dense", b"dense_1"]

    with pytest.raises(ValueError, match="not MobileNetV2 no-top weights") as error:
        fetch_weights(str(path), tmp_path / "out.h5", tmp_path / "out.json")
    assert "has 2 layers and lacks Conv1, out_relu" in str(error.value)
    assert "Set weights.mobilenet_v2" in str(error.value)
    assert not (tmp_path / "out.h5").exists()
    assert not (tmp_path / "out.json").exists()


def test_weights_missing_path(tmp_path):
    missing = tmp_path / "missing.h5"
    with pytest.raises(FileNotFoundError, match=f"weights.mobilenet_v2 is {missing}"):
        fetch_weights(str(missing), tmp_path / "out.h5", tmp_path / "out.json")


def test_weights_none_rejected(tmp_path):
    with pytest.raises(ValueError, match="weights.mobilenet_v2 is none"):
        fetch_weights("none", tmp_path / "out.h5", tmp_path / "out.json")
