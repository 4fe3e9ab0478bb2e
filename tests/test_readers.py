"""Tests of the dataset readers: real data, bad files, and the TFDS SVHN order."""

import gzip
import hashlib
import struct
import tarfile

import numpy as np
import pytest
import scipy.io

from dl_exercises.readers import (
    read_cifar10,
    read_cifar10_batch,
    read_dataset,
    read_idx,
    read_mnist,
    read_svhn,
    read_svhn_mat,
    tfds_order,
)


def read_sums(path):
    """Return `{file name: sha256}` from a sha256sum listing."""
    return {name: sha256 for sha256, name in (line.split() for line in path.read_text().splitlines())}


@pytest.fixture(scope="module")
def cifar10_raw(shared_data, tmp_path_factory):
    """Return a raw CIFAR-10 folder extracted from the shared archive."""
    folder = tmp_path_factory.mktemp("cifar10")
    with tarfile.open(shared_data / "cifar10" / "cifar-10-binary-subset.tar.gz") as tar:
        tar.extractall(folder, filter="data")
    return folder


def test_mnist_real_files(shared_data):
    arrays = read_dataset("mnist", shared_data / "mnist")

    assert arrays["x_train"].shape == (60000, 28, 28, 1)
    assert arrays["x_test"].shape == (10000, 28, 28, 1)
    assert arrays["y_train"].shape == (60000,)
    assert arrays["y_test"].shape == (10000,)
    for array in arrays.values():
        assert array.dtype == np.uint8
    assert arrays["y_train"][:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert arrays["y_test"][:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_mnist_content_matches_official_checksums(shared_data):
    # Rebuilding each IDX file from the arrays must give the official bytes.
    sums = read_sums(shared_data / "mnist" / "SHA256SUMS.uncompressed")
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images, labels = read_mnist(shared_data / "mnist", split)
        count = len(labels)
        images_idx = struct.pack(">iIII", 2051, count, 28, 28) + images.tobytes()
        labels_idx = struct.pack(">iI", 2049, count) + labels.tobytes()
        assert hashlib.sha256(images_idx).hexdigest() == sums[f"{prefix}-images-idx3-ubyte"]
        assert hashlib.sha256(labels_idx).hexdigest() == sums[f"{prefix}-labels-idx1-ubyte"]


def write_gzip(path, content):
    with gzip.open(path, "wb") as handle:
        handle.write(content)


def test_idx_bad_magic(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_gzip(path, struct.pack(">iIII", 2049, 1, 28, 28) + bytes(784))

    with pytest.raises(ValueError, match="has IDX magic number 2049, expected 2051"):
        read_idx(path, 2051)


def test_idx_truncated(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    write_gzip(path, struct.pack(">iI", 2049, 10) + bytes(5))

    with pytest.raises(ValueError, match=r"has 13 bytes after decompression.*needs 18"):
        read_idx(path, 2049)


def test_mnist_image_label_count_mismatch(tmp_path):
    write_gzip(tmp_path / "t10k-images-idx3-ubyte.gz", struct.pack(">iIII", 2051, 2, 28, 28) + bytes(2 * 784))
    write_gzip(tmp_path / "t10k-labels-idx1-ubyte.gz", struct.pack(">iI", 2049, 3) + bytes(3))

    with pytest.raises(ValueError, match="has 2 images but 3 labels"):
        read_mnist(tmp_path, "test")


def test_cifar10_real_archive(cifar10_raw):
    arrays = read_dataset("cifar10", cifar10_raw)

    assert arrays["x_train"].shape == (5000, 32, 32, 3)
    assert arrays["x_test"].shape == (1000, 32, 32, 3)
    assert arrays["y_train"].shape == (5000,)
    assert arrays["y_test"].shape == (1000,)
    for array in arrays.values():
        assert array.dtype == np.uint8
    assert arrays["y_train"][:10].tolist() == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]
    assert arrays["y_test"][:10].tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]
    assert arrays["x_train"][0, 0, 0].tolist() == [59, 62, 63]


def test_cifar10_records_round_trip(cifar10_raw):
    # Writing the arrays back as records must give the batch file's bytes.
    path = cifar10_raw / "cifar-10-batches-bin" / "test_batch.bin"
    images, labels = read_cifar10_batch(path)
    channels_first = images.transpose(0, 3, 1, 2).reshape(len(labels), 3072)
    records = np.concatenate([labels[:, np.newaxis], channels_first], axis=1)
    assert records.tobytes() == path.read_bytes()


def cifar10_record(label, red, green, blue):
    """Return one record whose three colour planes hold the given byte arrays."""
    planes = [np.asarray(plane, dtype=np.uint8).tobytes() for plane in (red, green, blue)]
    return bytes([label]) + b"".join(planes)


def test_cifar10_channels_first_to_last(tmp_path):
    positions = np.arange(1024) % 256
    path = tmp_path / "test_batch.bin"
    path.write_bytes(cifar10_record(7, positions, 255 - positions, np.full(1024, 9)))

    images, labels = read_cifar10_batch(path)
    assert labels.tolist() == [7]
    assert images.shape == (1, 32, 32, 3)
    # Pixel (row 1, column 2) is plane index 1 * 32 + 2 = 34.
    assert images[0, 1, 2].tolist() == [34, 221, 9]
    assert images[0, 0, 0].tolist() == [0, 255, 9]


def test_cifar10_training_batches_in_order(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    plane = np.zeros(1024, dtype=np.uint8)
    (folder / "data_batch_1.bin").write_bytes(cifar10_record(1, plane, plane, plane) * 2)
    (folder / "data_batch_2.bin").write_bytes(cifar10_record(2, plane, plane, plane))

    images, labels = read_cifar10(tmp_path, "train")
    assert labels.tolist() == [1, 1, 2]
    assert images.shape == (3, 32, 32, 3)

    (folder / "data_batch_2.bin").rename(folder / "data_batch_3.bin")
    with pytest.raises(FileNotFoundError, match="without gaps"):
        read_cifar10(tmp_path, "train")


def test_cifar10_size_not_multiple_of_record(tmp_path):
    path = tmp_path / "data_batch_1.bin"
    path.write_bytes(bytes(3073 + 5))

    with pytest.raises(ValueError) as error:
        read_cifar10_batch(path)
    assert str(path) in str(error.value)
    assert "3078 bytes, not a positive multiple of the 3073-byte CIFAR-10 record" in str(error.value)


def test_svhn_stand_in(shared_data):
    folder = shared_data / "svhn-standin"
    arrays = read_dataset("svhn", folder)

    assert arrays["x_train"].shape == (3000, 32, 32, 3)
    assert arrays["x_test"].shape == (1000, 32, 32, 3)
    assert arrays["y_train"].dtype == np.uint8
    assert arrays["x_train"].dtype == np.uint8
    assert set(arrays["y_train"].tolist()) == set(range(10))

    # The reader returns the file's examples permuted into TFDS order.
    stored = scipy.io.loadmat(folder / "test_32x32.mat")
    order = tfds_order(1000, "test")
    assert np.array_equal(arrays["x_test"], np.moveaxis(stored["X"], -1, 0)[order])
    assert np.array_equal(arrays["y_test"], stored["y"].reshape(-1)[order] % 10)


def write_svhn_mat(path, images, labels):
    """Write an SVHN-layout .mat file from images (N, 32, 32, 3), labels 1-10."""
    scipy.io.savemat(
        path,
        {"X": np.moveaxis(images, 0, -1), "y": np.asarray(labels, dtype=np.uint8).reshape(-1, 1)},
    )


def test_svhn_label_10_is_digit_0(tmp_path):
    images = np.arange(2 * 32 * 32 * 3, dtype=np.uint8).reshape(2, 32, 32, 3)
    write_svhn_mat(tmp_path / "train_32x32.mat", images, [10, 3])

    stored_images, labels = read_svhn_mat(tmp_path / "train_32x32.mat")
    assert labels.tolist() == [0, 3]
    assert np.array_equal(stored_images, images)


def test_svhn_mat_without_x(tmp_path):
    path = tmp_path / "train_32x32.mat"
    scipy.io.savemat(path, {"y": np.ones((3, 1), dtype=np.uint8)})

    with pytest.raises(ValueError, match="has no variable X"):
        read_svhn_mat(path)


def test_svhn_label_out_of_range(tmp_path):
    path = tmp_path / "train_32x32.mat"
    write_svhn_mat(path, np.zeros((2, 32, 32, 3), dtype=np.uint8), [0, 5])

    with pytest.raises(ValueError, match="labels from 0 to 5, but SVHN labels must be 1-10"):
        read_svhn_mat(path)


def synthetic_svhn(folder, sizes, seed=0):
    """Write random SVHN-layout .mat files; return {split: (images, labels)}."""
    rng = np.random.default_rng(seed)
    splits = {}
    for split, count in sizes.items():
        images = rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)
        labels = rng.integers(1, 11, count)
        write_svhn_mat(folder / f"{split}_32x32.mat", images, labels)
        splits[split] = (images, labels)
    return splits


def test_svhn_order_matches_tfds(tmp_path, monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")
    files = tmp_path / "files"
    files.mkdir()
    synthetic_svhn(files, {"train": 57, "test": 31, "extra": 2})

    # The svhn_cropped builder downloads train, test and extra with one
    # dl_manager.download call. Replacing that method with one that returns
    # the local files runs the real builder, hashing and shuffling, with no
    # network and without the 1.3 GB extra split.
    def download_local(self, urls):
        return {split: str(files / f"{split}_32x32.mat") for split in urls}

    monkeypatch.setattr(tfds.download.DownloadManager, "download", download_local)
    builder = tfds.builder("svhn_cropped", data_dir=str(tmp_path / "tfds"))
    assert str(builder.version) == "3.1.0"
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False)
    )

    for split in ("train", "test"):
        examples = list(tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)))
        images, labels = read_svhn(files, split)
        assert len(examples) == len(labels)
        assert np.array_equal(np.stack([example["image"] for example in examples]), images)
        assert [int(example["label"]) for example in examples] == labels.tolist()
