"""The Keras cache folder and the file locks that serialise writers of shared caches."""

import contextlib
import fcntl
import logging
import os
import shutil
import time
import uuid
from pathlib import Path

logger = logging.getLogger(__name__)


def keras_home():
    """Return Keras' cache folder: `$KERAS_HOME`, or `~/.keras` when it is unset."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()


def cache_folder(cache_dir, subfolder):
    """Return `<cache_dir>/<subfolder>`, created; None for `cache_dir` means Keras' cache.

    Raises:
        PermissionError: the folder cannot be created, with the fix.
    """
    folder = Path(cache_dir if cache_dir is not None else keras_home()) / subfolder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PermissionError(
            f"cannot create the download cache {folder} ({error}). Set KERAS_HOME to "
            "a writable folder."
        ) from error
    return folder


@contextlib.contextmanager
def file_lock(path):
    """Hold an exclusive `fcntl.flock` lock on `path`, a folder or a lock file.

    Processes on this machine that lock the same path run the body one at a
    time. A lock file is created when missing and stays behind, empty, and
    locking an existing folder creates nothing.
    NOTE: between machines sharing a network file system this relies on
    its flock support, which was not tested here.
    """
    path = Path(path)
    if path.is_dir():
        descriptor = os.open(path, os.O_RDONLY)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("waiting for the lock on %s, held by another process", path)
            started = time.monotonic()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            logger.info("acquired the lock on %s after %.1f s", path, time.monotonic() - started)
        yield
    finally:
        os.close(descriptor)


def publish_copy(source, destination):
    """Copy `source` to `destination` through a temporary file and an atomic rename."""
    destination = Path(destination)
    temporary = destination.with_name(f".{destination.name}.{uuid.uuid4().hex}.part")
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)
