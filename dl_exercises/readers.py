"""Readers of the raw dataset files, in each dataset's reference order.

Every reader returns uint8 arrays: images `(N, H, W, C)` and labels `(N,)`
with class ids 0-9. Nothing is unpickled: MNIST is read from IDX files,
CIFAR-10 from the binary batches and SVHN from MATLAB v5 `.mat` files.
"""

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import scipy.io

# Sample order of each dataset's reader, recorded in the subset manifest.
ORDER = {
    "mnist": "official IDX file order, the order of Keras' mnist.npz",
    "cifar10": (
        "Keras order: data_batch_1.bin to data_batch_5.bin (those present, in "
        "that order) concatenated, then test_batch.bin"
    ),
    "svhn": (
        "TFDS svhn_cropped 3.1.0 order: each split sorted by the MD5 hash of "
        "the split name followed by the example index, without the extra split"
    ),
}

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
# IDX magic numbers: unsigned bytes (0x08) with 3 or 1 dimensions.
IDX_IMAGES_MAGIC = 2051
IDX_LABELS_MAGIC = 2049
MNIST_IMAGE_SHAPE = (28, 28)

CIFAR10_FOLDER = "cifar-10-batches-bin"
CIFAR10_IMAGE_SHAPE = (3, 32, 32)
CIFAR10_RECORD_BYTES = 1 + int(np.prod(CIFAR10_IMAGE_SHAPE))
CIFAR10_TRAIN_BATCHES = [f"data_batch_{index}.bin" for index in range(1, 6)]
CIFAR10_TEST_BATCH = "test_batch.bin"

SVHN_FILES = {"train": "train_32x32.mat", "test": "test_32x32.mat"}
SVHN_IMAGE_SHAPE = (32, 32, 3)


def read_dataset(dataset, raw_dir):
    """Read the training and test splits of a raw dataset folder.

    Returns:
        A dict with `x_train`, `y_train`, `x_test`, `y_test` as uint8 arrays.
    """
    readers = {"mnist": read_mnist, "cifar10": read_cifar10, "svhn": read_svhn}
    if dataset not in readers:
        raise ValueError(f"unknown dataset {dataset!r}, expected one of {sorted(readers)}")
    arrays = {}
    for split in ("train", "test"):
        images, labels = readers[dataset](Path(raw_dir), split)
        arrays[f"x_{split}"] = images
        arrays[f"y_{split}"] = labels
    return arrays


# MNIST.


def read_mnist(raw_dir, split):
    """Read one MNIST split from its two gzipped IDX files.

    Returns:
        Images uint8 `(N, 28, 28, 1)` and labels uint8 `(N,)`.
    """
    images_name, labels_name = MNIST_FILES[split]
    images = read_idx(raw_dir / images_name, IDX_IMAGES_MAGIC)
    labels = read_idx(raw_dir / labels_name, IDX_LABELS_MAGIC)

    if images.shape[1:] != MNIST_IMAGE_SHAPE:
        raise ValueError(
            f"{raw_dir / images_name} contains images of {images.shape[1:]} pixels, "
            f"expected {MNIST_IMAGE_SHAPE}. It is not an MNIST file."
        )
    if len(images) != len(labels):
        raise ValueError(
            f"MNIST {split} split in {raw_dir} has {len(images)} images but "
            f"{len(labels)} labels. Fetch the dataset again."
        )
    _check_labels(labels, raw_dir / labels_name)
    return images[..., np.newaxis], labels


def read_idx(path, expected_magic):
    """Read a gzipped IDX file of unsigned bytes into an array.

    Raises:
        ValueError: the magic number is not `expected_magic`, or the file
            size differs from the one its header declares.
    """
    with gzip.open(path, "rb") as handle:
        content = handle.read()
    ndim = expected_magic & 0xFF
    header_bytes = 4 * (1 + ndim)
    if len(content) < header_bytes:
        raise ValueError(f"{path} has {len(content)} bytes, too few for an IDX header")

    (magic,) = struct.unpack(">i", content[:4])
    if magic != expected_magic:
        raise ValueError(
            f"{path} has IDX magic number {magic}, expected {expected_magic}. "
            "The file is damaged or is not the expected MNIST file."
        )
    shape = struct.unpack(f">{ndim}I", content[4:header_bytes])
    expected_bytes = header_bytes + int(np.prod(shape))
    if len(content) != expected_bytes:
        raise ValueError(
            f"{path} has {len(content)} bytes after decompression, but its header "
            f"declares shape {shape}, which needs {expected_bytes}. The file is "
            "truncated or damaged."
        )
    return np.frombuffer(content, dtype=np.uint8, offset=header_bytes).reshape(shape)


# CIFAR-10.


def read_cifar10(raw_dir, split):
    """Read one CIFAR-10 split from the binary batches.

    The training split concatenates data_batch_1.bin to data_batch_5.bin in
    order, stopping at the first one missing.

    Returns:
        Images uint8 `(N, 32, 32, 3)` and labels uint8 `(N,)`.
    """
    folder = raw_dir / CIFAR10_FOLDER
    names = _cifar10_train_batches(folder) if split == "train" else [CIFAR10_TEST_BATCH]
    batches = [read_cifar10_batch(folder / name) for name in names]
    images = np.concatenate([images for images, _ in batches])
    labels = np.concatenate([labels for _, labels in batches])
    return images, labels


def _cifar10_train_batches(folder):
    present = [name for name in CIFAR10_TRAIN_BATCHES if (folder / name).is_file()]
    if present != CIFAR10_TRAIN_BATCHES[: len(present)] or not present:
        raise FileNotFoundError(
            f"{folder} contains training batches {present}, but the training split "
            "needs data_batch_1.bin followed by consecutive batches without gaps"
        )
    return present


def read_cifar10_batch(path):
    """Read a CIFAR-10 binary batch, counting its records from the file size.

    Each 3073-byte record is one label byte, then 1024 red, 1024 green and
    1024 blue bytes, rows top to bottom.

    Returns:
        Images uint8 `(N, 32, 32, 3)` and labels uint8 `(N,)`.
    """
    size = path.stat().st_size
    if size == 0 or size % CIFAR10_RECORD_BYTES:
        raise ValueError(
            f"{path} has {size} bytes, not a positive multiple of the "
            f"{CIFAR10_RECORD_BYTES}-byte CIFAR-10 record (1 label byte and 3072 "
            "pixel bytes). The file is truncated or not a CIFAR-10 binary batch."
        )
    records = np.fromfile(path, dtype=np.uint8).reshape(-1, CIFAR10_RECORD_BYTES)
    labels = records[:, 0].copy()
    _check_labels(labels, path)
    images = records[:, 1:].reshape(-1, *CIFAR10_IMAGE_SHAPE).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def _check_labels(labels, path):
    if labels.size and labels.max() > 9:
        raise ValueError(f"{path} has label {labels.max()}, but labels must be 0-9")


# SVHN cropped digits.


def read_svhn(raw_dir, split):
    """Read one SVHN split from its `.mat` file, in TFDS order.

    Returns:
        Images uint8 `(N, 32, 32, 3)` and labels uint8 `(N,)`, where digit 0
        has label 0 (the file stores it as 10).
    """
    images, labels = read_svhn_mat(raw_dir / SVHN_FILES[split])
    order = tfds_order(len(labels), split)
    return images[order], labels[order]


def read_svhn_mat(path):
    """Read images and labels from an SVHN `.mat` file, in file order.

    Raises:
        ValueError: `X` or `y` is missing, the shapes disagree, or a label
            is outside 1-10.
    """
    content = scipy.io.loadmat(path)
    missing = [key for key in ("X", "y") if key not in content]
    if missing:
        raise ValueError(
            f"{path} has no variable {', '.join(missing)}. An SVHN cropped-digits "
            "file contains X (32, 32, 3, N) and y (N, 1)."
        )
    images, labels = content["X"], content["y"].reshape(-1)
    if images.ndim != 4 or images.shape[:3] != SVHN_IMAGE_SHAPE or images.shape[3] != len(labels):
        raise ValueError(
            f"{path}: X has shape {images.shape} and y has {len(labels)} labels, "
            "expected X (32, 32, 3, N) with N equal to the number of labels"
        )
    if not np.isin(labels, np.arange(1, 11)).all():
        raise ValueError(
            f"{path} has labels from {labels.min()} to {labels.max()}, but SVHN "
            "labels must be 1-10 (10 is digit 0)"
        )
    images = np.ascontiguousarray(np.moveaxis(images, -1, 0), dtype=np.uint8)
    return images, (labels % 10).astype(np.uint8)


def tfds_order(count, split):
    """Return the example indices of a split in TFDS order.

    TFDS 4.9.10 keys example `i` by the 128-bit MD5 of the split name
    followed by `str(i)` (core/hashing.py, with the split name as salt in
    core/split_builder.py), and writes examples in ascending key order
    (core/shuffle.py).
    """
    salted = hashlib.md5(split.encode("utf-8"))

    def key(index):
        digest = salted.copy()
        digest.update(str(index).encode("utf-8"))
        return int(digest.hexdigest(), 16)

    return np.array(sorted(range(count), key=key), dtype=np.int64)
