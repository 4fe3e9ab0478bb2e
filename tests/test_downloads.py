"""Bad downloads and offline use, against a real HTTP mirror on 127.0.0.1.

Every failure case checks the error text and that nothing is left that a
later run would trust: no raw folder, no staging folder, no `.part` file
and no cache entry.
"""

import gzip
import hashlib
import io
import logging
import shutil
import struct
import tarfile
import threading
import urllib.request

import numpy as np
import pytest
import scipy.io

from dl_exercises import weights as weights_module
from dl_exercises.files import read_json, sha256_file
from dl_exercises.sources import ChecksumError, DownloadError, fetch_dataset
from dl_exercises.subsets import extract_subset
from http_mirror import DROP_MID_FILE, SHORT_CONTENT_LENGTH, MirrorServer

MNIST_FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]
SVHN_FILES = ["train_32x32.mat", "test_32x32.mat"]
CIFAR10_ARCHIVE = "cifar-10-binary.tar.gz"
FAST = {"retries": 2, "backoff_seconds": 0.01, "timeout_seconds": 10}


@pytest.fixture
def mirror(tmp_path):
    """Start a mirror server over an empty folder; stop it after the test."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    server = MirrorServer(folder).start()
    yield server
    server.stop()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """Return an empty Keras cache folder, also set as $KERAS_HOME."""
    folder = tmp_path / "keras"
    monkeypatch.setenv("KERAS_HOME", str(folder))
    return folder


def sha256_bytes(content):
    return hashlib.sha256(content).hexdigest()


def mirror_source(server, files=None, stand_in=False):
    return {"source": "mirror", "url": server.base_url, "files": files or {}, "stand_in": stand_in}


def pinned(folder, names):
    """Return `files` overrides pinning each named file in `folder` to its sha256."""
    return {name: {"sha256": sha256_file(folder / name)} for name in names}


def write_svhn(folder, n_train=20, n_test=10, seed=0, labels=None, drop=None):
    """Write SVHN-layout .mat files; `labels` replaces y, `drop` omits a variable."""
    random = np.random.default_rng(seed)
    for split, count in (("train", n_train), ("test", n_test)):
        content = {
            "X": random.integers(0, 256, (32, 32, 3, count), dtype=np.uint8),
            "y": random.integers(1, 11, (count, 1)).astype(np.uint8),
        }
        if split == "train" and labels is not None:
            content["y"] = np.asarray(labels, dtype=np.uint8).reshape(-1, 1)
        if split == "train" and drop is not None:
            del content[drop]
        scipy.io.savemat(folder / f"{split}_32x32.mat", content)


def fetch(dataset, source, tmp_path, cache, **options):
    return fetch_dataset(
        dataset,
        source,
        tmp_path / "raw" / dataset,
        cache_dir=cache,
        download_options={**FAST, **options},
    )


def cache_entries(cache):
    """Return the data files in the dataset cache, without lock files."""
    folder = cache / "datasets"
    if not folder.is_dir():
        return []
    return sorted(path.name for path in folder.iterdir() if not path.name.endswith(".lock"))


def assert_nothing_left(tmp_path, cache):
    raw = tmp_path / "raw"
    assert not raw.exists() or list(raw.iterdir()) == []
    assert cache_entries(cache) == []
    assert [path for path in tmp_path.rglob("*.part")] == []
    assert [path for path in tmp_path.rglob("*.tmp")] == []


# Success, cache and offline use.


def test_mirror_mnist_fills_cache(shared_data, mirror, cache, tmp_path):
    for name in MNIST_FILES:
        shutil.copy(shared_data / "mnist" / name, mirror.folder / name)
    # The shared copy is recompressed, so its sha256 values override the official ones.
    manifest = fetch("mnist", mirror_source(mirror, pinned(mirror.folder, MNIST_FILES)), tmp_path, cache)

    assert manifest["source"] == "mirror"
    assert manifest["urls"] == [mirror.base_url + name for name in MNIST_FILES]
    assert manifest["from_cache"] == []
    assert manifest["samples"] == {"train": 60000, "test": 10000}
    assert manifest["matches_official"] is True
    assert sorted(mirror.requests) == sorted(MNIST_FILES)
    assert cache_entries(cache) == sorted(MNIST_FILES)
    for name in MNIST_FILES:
        assert sha256_file(cache / "datasets" / name) == sha256_file(mirror.folder / name)
    assert sorted(path.name for path in (tmp_path / "raw" / "mnist").iterdir()) == sorted(
        MNIST_FILES + ["manifest.json"]
    )
    assert read_json(tmp_path / "raw" / "mnist" / "manifest.json") == manifest

    # A second fetch finds every file in the cache and sends no request.
    again = fetch_dataset(
        "mnist",
        mirror_source(mirror, pinned(mirror.folder, MNIST_FILES)),
        tmp_path / "again" / "mnist",
        cache_dir=cache,
    )
    assert again["from_cache"] == sorted(MNIST_FILES)
    assert len(mirror.requests) == len(MNIST_FILES)


def test_mirror_svhn_logs_progress(mirror, cache, tmp_path, caplog):
    write_svhn(mirror.folder)
    caplog.set_level(logging.INFO, logger="dl_exercises")
    manifest = fetch(
        "svhn", mirror_source(mirror, pinned(mirror.folder, SVHN_FILES)), tmp_path, cache, progress_interval_seconds=0
    )

    assert manifest["samples"] == {"train": 20, "test": 10}
    size = (mirror.folder / "train_32x32.mat").stat().st_size
    assert f"received {size} of {size} bytes" in caplog.text
    assert "MB/s" in caplog.text
    assert cache_entries(cache) == sorted(SVHN_FILES)


def test_keras_cache_used_without_server(mirror, cache, tmp_path, monkeypatch):
    write_svhn(mirror.folder)
    overrides = pinned(mirror.folder, SVHN_FILES)
    (cache / "datasets").mkdir(parents=True)
    for name in SVHN_FILES:
        shutil.copy(mirror.folder / name, cache / "datasets" / name)
    source = mirror_source(mirror, overrides)
    mirror.stop()

    def no_network(*args, **kwargs):
        raise AssertionError("the network was used although the cache holds every file")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    # cache_dir is None here: the cache is found through $KERAS_HOME.
    manifest = fetch_dataset("svhn", source, tmp_path / "raw" / "svhn")
    assert manifest["from_cache"] == sorted(SVHN_FILES)
    assert manifest["cache"] == str(cache / "datasets")
    assert (tmp_path / "raw" / "svhn" / "train_32x32.mat").read_bytes() == (
        cache / "datasets" / "train_32x32.mat"
    ).read_bytes()


def test_local_source_touches_no_network(shared_data, cache, tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a local source used the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    source = {"source": "local", "path": str(shared_data / "svhn-standin"), "stand_in": True}
    manifest = fetch_dataset("svhn", source, tmp_path / "raw" / "svhn")
    assert manifest["path"] == str(shared_data / "svhn-standin")
    assert cache_entries(cache) == []


def test_stale_cache_entry_replaced(mirror, cache, tmp_path, caplog):
    write_svhn(mirror.folder)
    (cache / "datasets").mkdir(parents=True)
    (cache / "datasets" / "train_32x32.mat").write_bytes(b"left by an older mirror")

    manifest = fetch("svhn", mirror_source(mirror, pinned(mirror.folder, SVHN_FILES)), tmp_path, cache)
    assert manifest["from_cache"] == []
    assert "downloading it again" in caplog.text
    assert sha256_file(cache / "datasets" / "train_32x32.mat") == sha256_file(mirror.folder / "train_32x32.mat")


def test_retry_then_success(mirror, cache, tmp_path, caplog):
    write_svhn(mirror.folder)
    mirror.fail("train_32x32.mat", 500, times=1)
    mirror.fail("test_32x32.mat", 429, times=2)

    manifest = fetch("svhn", mirror_source(mirror, pinned(mirror.folder, SVHN_FILES)), tmp_path, cache)
    assert manifest["samples"] == {"train": 20, "test": 10}
    assert mirror.requests.count("train_32x32.mat") == 2
    assert mirror.requests.count("test_32x32.mat") == 3
    assert "HTTP 500" in caplog.text
    assert "HTTP 429" in caplog.text
    assert "retrying in" in caplog.text


def test_concurrent_fetches_download_once(mirror, cache, tmp_path):
    write_svhn(mirror.folder)
    source = mirror_source(mirror, pinned(mirror.folder, SVHN_FILES))
    errors = []

    def run(index):
        try:
            fetch_dataset("svhn", source, tmp_path / f"run{index}" / "svhn", cache_dir=cache)
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    # The cache lock lets one fetch download; the others wait and copy from the cache.
    assert sorted(mirror.requests) == sorted(SVHN_FILES)
    assert cache_entries(cache) == sorted(SVHN_FILES)
    for index in range(3):
        assert read_json(tmp_path / f"run{index}" / "svhn" / "manifest.json")["samples"]["train"] == 20


# Failures.


def test_checksum_mismatch(mirror, cache, tmp_path):
    write_svhn(mirror.folder)
    expected = "0" * 64
    actual = sha256_file(mirror.folder / "train_32x32.mat")

    with pytest.raises(ChecksumError) as error:
        fetch("svhn", mirror_source(mirror, {"train_32x32.mat": {"sha256": expected}}), tmp_path, cache)
    message = str(error.value)
    assert "checksum mismatch for train_32x32.mat" in message
    assert mirror.base_url + "train_32x32.mat" in message
    assert f"expected sha256 {expected}, got {actual}" in message
    assert "datasets.svhn.source to local" in message
    assert "or to mirror" in message
    assert_nothing_left(tmp_path, cache)


def test_http_404(mirror, cache, tmp_path):
    with pytest.raises(DownloadError) as error:
        fetch("svhn", mirror_source(mirror), tmp_path, cache)
    message = str(error.value)
    assert f"download of train_32x32.mat from {mirror.base_url}train_32x32.mat failed: HTTP 404" in message
    assert "datasets.svhn.path" in message
    # A 404 is final: there is no retry.
    assert mirror.requests == ["train_32x32.mat"]
    assert_nothing_left(tmp_path, cache)


def test_connection_dropped_mid_file(mirror, cache, tmp_path):
    write_svhn(mirror.folder)
    mirror.behaviours["train_32x32.mat"] = DROP_MID_FILE
    size = (mirror.folder / "train_32x32.mat").stat().st_size

    with pytest.raises(DownloadError) as error:
        fetch("svhn", mirror_source(mirror, pinned(mirror.folder, SVHN_FILES)), tmp_path, cache)
    message = str(error.value)
    assert f"download of train_32x32.mat from {mirror.base_url}train_32x32.mat failed after 3 attempts" in message
    assert f"closed after {size // 2} of the {size} bytes" in message
    assert "truncated" in message
    assert mirror.requests.count("train_32x32.mat") == 3
    assert_nothing_left(tmp_path, cache)


def test_short_content_length(mirror, cache, tmp_path):
    write_svhn(mirror.folder)
    mirror.behaviours["test_32x32.mat"] = SHORT_CONTENT_LENGTH
    half = (mirror.folder / "test_32x32.mat").read_bytes()
    half = half[: len(half) // 2]

    with pytest.raises(ChecksumError) as error:
        fetch("svhn", mirror_source(mirror, pinned(mirror.folder, SVHN_FILES)), tmp_path, cache)
    assert f"got {sha256_bytes(half)}" in str(error.value)
    assert_nothing_left(tmp_path, cache)


def test_truncated_gz(shared_data, mirror, cache, tmp_path):
    for name in MNIST_FILES:
        shutil.copy(shared_data / "mnist" / name, mirror.folder / name)
    content = (mirror.folder / "train-labels-idx1-ubyte.gz").read_bytes()
    (mirror.folder / "train-labels-idx1-ubyte.gz").write_bytes(content[:-100])

    # The mirror's checksum list matches its truncated file, so only the format check can tell.
    with pytest.raises(ValueError) as error:
        fetch("mnist", mirror_source(mirror, pinned(mirror.folder, MNIST_FILES)), tmp_path, cache)
    assert "train-labels-idx1-ubyte.gz is not a complete gzip file" in str(error.value)
    assert "truncated or damaged" in str(error.value)
    assert_nothing_left(tmp_path, cache)


def test_truncated_tar_gz(shared_data, mirror, cache, tmp_path):
    content = (shared_data / "cifar10" / "cifar-10-binary-subset.tar.gz").read_bytes()
    (mirror.folder / CIFAR10_ARCHIVE).write_bytes(content[: len(content) // 3])

    with pytest.raises(ValueError) as error:
        fetch("cifar10", mirror_source(mirror, pinned(mirror.folder, [CIFAR10_ARCHIVE])), tmp_path, cache)
    assert f"{CIFAR10_ARCHIVE} is truncated or damaged" in str(error.value)
    assert_nothing_left(tmp_path, cache)


def write_tar(path, members):
    """Write a .tar.gz archive of `{member name: bytes}`."""
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


def cifar10_records(count, label=3):
    return (bytes([label]) + bytes(3072)) * count


def test_tar_member_escaping_folder(mirror, cache, tmp_path):
    write_tar(
        mirror.folder / CIFAR10_ARCHIVE,
        {
            "cifar-10-batches-bin/data_batch_1.bin": cifar10_records(2),
            "../../escaped.bin": b"x",
        },
    )

    with pytest.raises(ValueError) as error:
        fetch("cifar10", mirror_source(mirror, pinned(mirror.folder, [CIFAR10_ARCHIVE])), tmp_path, cache)
    assert "member '../../escaped.bin' would be written outside the extraction folder" in str(error.value)
    assert [path for path in tmp_path.rglob("escaped.bin")] == []
    assert_nothing_left(tmp_path, cache)


def test_cifar10_record_size(mirror, cache, tmp_path):
    write_tar(
        mirror.folder / CIFAR10_ARCHIVE,
        {
            "cifar-10-batches-bin/data_batch_1.bin": cifar10_records(2) + bytes(5),
            "cifar-10-batches-bin/test_batch.bin": cifar10_records(1),
        },
    )

    with pytest.raises(ValueError) as error:
        fetch("cifar10", mirror_source(mirror, pinned(mirror.folder, [CIFAR10_ARCHIVE])), tmp_path, cache)
    message = str(error.value)
    assert "the cifar10 files from" in message
    assert "data_batch_1.bin has 6151 bytes, not a positive multiple of the 3073-byte CIFAR-10 record" in message
    assert_nothing_left(tmp_path, cache)


def test_idx_wrong_magic(shared_data, mirror, cache, tmp_path):
    for name in MNIST_FILES:
        shutil.copy(shared_data / "mnist" / name, mirror.folder / name)
    with gzip.open(mirror.folder / "t10k-labels-idx1-ubyte.gz", "wb") as handle:
        handle.write(struct.pack(">iI", 2051, 3) + bytes(3))

    with pytest.raises(ValueError) as error:
        fetch("mnist", mirror_source(mirror, pinned(mirror.folder, MNIST_FILES)), tmp_path, cache)
    assert "t10k-labels-idx1-ubyte.gz has IDX magic number 2051, expected 2049" in str(error.value)
    assert_nothing_left(tmp_path, cache)


def test_mat_missing_x(mirror, cache, tmp_path):
    write_svhn(mirror.folder, drop="X")

    with pytest.raises(ValueError) as error:
        fetch("svhn", mirror_source(mirror, pinned(mirror.folder, SVHN_FILES)), tmp_path, cache)
    assert "train_32x32.mat has no variable X" in str(error.value)
    assert_nothing_left(tmp_path, cache)


def test_mat_labels_out_of_range(mirror, cache, tmp_path):
    write_svhn(mirror.folder, n_train=3, labels=[1, 11, 4])

    with pytest.raises(ValueError) as error:
        fetch("svhn", mirror_source(mirror, pinned(mirror.folder, SVHN_FILES)), tmp_path, cache)
    assert "has labels from 1 to 11, but SVHN labels must be 1-10" in str(error.value)
    assert_nothing_left(tmp_path, cache)


def test_mat_wrong_format(mirror, cache, tmp_path):
    write_svhn(mirror.folder)
    (mirror.folder / "test_32x32.mat").write_text("<html>Proxy login required</html>")

    with pytest.raises(ValueError) as error:
        fetch("svhn", mirror_source(mirror, pinned(mirror.folder, SVHN_FILES)), tmp_path, cache)
    assert "test_32x32.mat does not start with the MATLAB 5 MAT-file header" in str(error.value)
    assert_nothing_left(tmp_path, cache)


def test_subset_larger_than_mirror_source(mirror, cache, tmp_path):
    write_svhn(mirror.folder, n_train=20, n_test=10)
    fetch("svhn", mirror_source(mirror, pinned(mirror.folder, SVHN_FILES)), tmp_path, cache)
    arrays_path = tmp_path / "subsets" / "train21_test10.npz"

    with pytest.raises(ValueError) as error:
        extract_subset(tmp_path / "raw" / "svhn", 21, 10, arrays_path, arrays_path.with_suffix(".json"))
    assert "n_train is 21, but the svhn train split" in str(error.value)
    assert "contains 20 samples" in str(error.value)
    assert not (tmp_path / "subsets").exists() or list((tmp_path / "subsets").iterdir()) == []


def test_local_path_not_found(cache, tmp_path):
    missing = tmp_path / "no-such-folder"
    with pytest.raises(FileNotFoundError) as error:
        fetch_dataset("mnist", {"source": "local", "path": str(missing)}, tmp_path / "raw" / "mnist")
    assert f"local mnist source {missing} not found" in str(error.value)
    assert "datasets.mnist.path" in str(error.value)
    assert_nothing_left(tmp_path, cache)


def test_local_checksum_override(shared_data, cache, tmp_path):
    folder = shared_data / "svhn-standin"
    expected = "f" * 64
    source = {"source": "local", "path": str(folder), "files": {"test_32x32.mat": {"sha256": expected}}}

    with pytest.raises(ChecksumError) as error:
        fetch_dataset("svhn", source, tmp_path / "raw" / "svhn")
    assert f"expected sha256 {expected} (datasets.svhn.files.test_32x32.mat.sha256)" in str(error.value)
    assert f"got {sha256_file(folder / 'test_32x32.mat')}" in str(error.value)
    assert_nothing_left(tmp_path, cache)

    source["files"] = pinned(folder, ["test_32x32.mat"])
    manifest = fetch_dataset("svhn", source, tmp_path / "raw" / "svhn")
    assert manifest["files"]["test_32x32.mat"]["sha256"] == source["files"]["test_32x32.mat"]["sha256"]


def test_per_file_url_override(mirror, cache, tmp_path):
    write_svhn(mirror.folder)
    (mirror.folder / "elsewhere").mkdir()
    shutil.move(mirror.folder / "test_32x32.mat", mirror.folder / "elsewhere" / "svhn-test.mat")
    overrides = {
        "train_32x32.mat": {"sha256": sha256_file(mirror.folder / "train_32x32.mat")},
        "test_32x32.mat": {
            "url": mirror.base_url + "elsewhere/svhn-test.mat",
            "sha256": sha256_file(mirror.folder / "elsewhere" / "svhn-test.mat"),
        },
    }

    manifest = fetch("svhn", mirror_source(mirror, overrides), tmp_path, cache)
    assert manifest["urls"] == [
        mirror.base_url + "train_32x32.mat",
        mirror.base_url + "elsewhere/svhn-test.mat",
    ]
    assert mirror.requests == ["train_32x32.mat", "elsewhere/svhn-test.mat"]
    # The cache keeps the official file name whatever the URL.
    assert cache_entries(cache) == sorted(SVHN_FILES)


def test_mirror_config_errors(cache, tmp_path):
    with pytest.raises(ValueError, match="datasets.svhn.url is not set"):
        fetch_dataset("svhn", {"source": "mirror"}, tmp_path / "raw" / "svhn")
    source = {"source": "mirror", "url": "http://127.0.0.1:9/", "files": {"train.mat": {"sha256": "0" * 64}}}
    with pytest.raises(ValueError, match="overrides train.mat, which this source does not contain"):
        fetch_dataset("svhn", source, tmp_path / "raw" / "svhn")
    assert_nothing_left(tmp_path, cache)


# MobileNetV2 weights through the Keras cache.


def test_weights_download_then_cache(shared_data, mirror, cache, tmp_path, monkeypatch):
    name = weights_module.KERAS_WEIGHTS_FILE
    shutil.copy(shared_data / "mobilenet_v2" / name, mirror.folder / name)
    monkeypatch.setattr(weights_module, "KERAS_WEIGHTS_BASE_URL", mirror.base_url)

    manifest = weights_module.fetch_weights(
        "imagenet", tmp_path / "a.h5", tmp_path / "a.json", download_options=FAST
    )
    assert manifest["origin"] == mirror.base_url + name
    assert sha256_file(cache / "models" / name) == manifest["sha256"]
    assert mirror.requests == [name]

    weights_module.fetch_weights("imagenet", tmp_path / "b.h5", tmp_path / "b.json")
    assert mirror.requests == [name]


def test_weights_download_not_hdf5(mirror, cache, tmp_path, monkeypatch):
    name = weights_module.KERAS_WEIGHTS_FILE
    (mirror.folder / name).write_text("<html>Proxy login required</html>")
    monkeypatch.setattr(weights_module, "KERAS_WEIGHTS_BASE_URL", mirror.base_url)

    with pytest.raises(ValueError, match="is not a readable HDF5 file"):
        weights_module.fetch_weights("imagenet", tmp_path / "a.h5", tmp_path / "a.json", download_options=FAST)
    assert [path.name for path in (cache / "models").iterdir() if not path.name.endswith(".lock")] == []
    assert not (tmp_path / "a.h5").exists()
