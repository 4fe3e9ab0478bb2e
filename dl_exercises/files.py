"""Atomic file output, checksums and array files with checked shapes.

Every output is written to a temporary name in its target folder and renamed
into place, so a killed job never leaves a file that looks complete.
"""

import contextlib
import hashlib
import json
import os
import tempfile

import numpy as np


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; rename it to `path` on success.

    The temporary file keeps the suffix of `path` (Keras and NumPy choose
    the format by suffix). On any exception it is removed and `path` is
    left untouched.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    base = os.path.basename(path)
    stem, suffix = os.path.splitext(base)
    handle, temporary = tempfile.mkstemp(prefix=f".{stem}.", suffix=f".tmp{suffix}", dir=folder)
    os.close(handle)
    # mkstemp creates the file readable by its owner only; give it the mode
    # that open() would, so results on a shared disk stay readable.
    os.chmod(temporary, 0o666 & ~current_umask())
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def current_umask():
    """Return the process's file-creation mask."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path, data):
    """Write `data` as indented, key-sorted JSON, atomically."""
    with atomic_path(path) as temporary:
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")


def read_json(path):
    """Return the JSON document stored at `path`."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def write_text(path, text):
    """Write `text` as UTF-8, atomically."""
    with atomic_path(path) as temporary:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)


def sha256_file(path, chunk_size=1 << 20):
    """Return the hex SHA-256 digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_array(array):
    """Return the hex SHA-256 digest of an array's dtype, shape and bytes."""
    digest = hashlib.sha256()
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def save_arrays(path, **arrays):
    """Save named arrays to an uncompressed `.npz` file, atomically."""
    with atomic_path(path) as temporary:
        np.savez(temporary, **arrays)


def load_arrays(path, expected):
    """Load a `.npz` file and check each expected array's dtype and rank.

    Args:
        path: the `.npz` file, loaded with `allow_pickle=False`.
        expected: mapping of array name to `(dtype, ndim)`.

    Returns:
        A dict of the expected arrays.

    Raises:
        ValueError: an array is missing or has another dtype or rank.
    """
    arrays = {}
    with np.load(path, allow_pickle=False) as stored:
        for name, (dtype, ndim) in expected.items():
            if name not in stored.files:
                raise ValueError(
                    f"{path} has no array {name!r}; it contains {sorted(stored.files)}. "
                    "Delete the file and run the workflow again."
                )
            array = stored[name]
            if array.dtype != np.dtype(dtype) or array.ndim != ndim:
                raise ValueError(
                    f"{path}: array {name!r} is {array.dtype} with {array.ndim} "
                    f"dimensions, expected {np.dtype(dtype)} with {ndim}."
                )
            arrays[name] = array
    return arrays
