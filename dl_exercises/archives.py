"""Safe extraction of .tar.gz, .tgz and .zip archives, and format checks of downloads.

Only regular files and folders are extracted; links, special files and
members whose paths lead outside the extraction folder are rejected.
"""

import gzip
import os
import shutil
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".zip")

# The first bytes of a MATLAB 5 MAT-file's 128-byte text header.
MAT5_HEADER = b"MATLAB 5.0 MAT-file"

# Errors of Python's gzip, tarfile and zipfile readers on damaged input.
DAMAGED_ARCHIVE_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile, tarfile.TarError, zipfile.BadZipFile)


def extract_archive(archive, folder):
    """Extract a .tar.gz, .tgz or .zip archive into `folder`, safely.

    Only regular files and folders are extracted.

    Raises:
        ValueError: the archive type is not supported, or a member is a
            link or special file, or its path leads outside `folder`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    name = archive.name.lower()
    if not name.endswith(ARCHIVE_SUFFIXES):
        raise ValueError(
            f"{archive} is not a supported archive. Use a folder or a file ending "
            f"in {', '.join(ARCHIVE_SUFFIXES)}."
        )
    try:
        if name.endswith(".zip"):
            _extract_zip(archive, folder)
        else:
            _extract_tar(archive, folder)
    except DAMAGED_ARCHIVE_ERRORS as error:
        raise ValueError(
            f"archive {archive} is truncated or damaged ({type(error).__name__}: "
            f"{error}). Download it again, or replace the copy on disk."
        ) from error


def check_file_format(path, name):
    """Check that a file named `name`, stored at `path`, is complete in its format.

    A `.gz` file (other than `.tar.gz`) must decompress to its end-of-stream
    marker, and a `.mat` file must start with the MATLAB 5 header. Archives
    are checked when they are extracted; other files are not checked.

    Raises:
        ValueError: naming `name` and what is wrong with it.
    """
    lower = name.lower()
    if lower.endswith(".gz") and not lower.endswith(".tar.gz"):
        try:
            with gzip.open(path, "rb") as handle:
                while handle.read(1 << 20):
                    pass
        except DAMAGED_ARCHIVE_ERRORS as error:
            raise ValueError(
                f"{name} is not a complete gzip file ({type(error).__name__}: {error}). "
                "The file is truncated or damaged."
            ) from error
    elif lower.endswith(".mat"):
        with open(path, "rb") as handle:
            header = handle.read(len(MAT5_HEADER))
        if header != MAT5_HEADER:
            raise ValueError(
                f"{name} does not start with the MATLAB 5 MAT-file header (it starts "
                f"with {header[:20]!r}). It is not an SVHN .mat file, perhaps an "
                "error page of a proxy."
            )


def _extract_tar(archive, folder):
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            target = _member_target(archive, folder, member.name)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                with tar.extractfile(member) as source:
                    _write_member(source, target)
            else:
                _reject_special(archive, member.name)


def _extract_zip(archive, folder):
    with zipfile.ZipFile(archive) as zip_file:
        for info in zip_file.infolist():
            target = _member_target(archive, folder, info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                _reject_special(archive, info.filename)
            elif info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                with zip_file.open(info) as source:
                    _write_member(source, target)


def _member_target(archive, folder, member_name):
    """Return where a member goes, or raise if that is outside `folder`."""
    root = os.path.abspath(folder)
    target = os.path.abspath(os.path.join(root, member_name))
    if os.path.isabs(member_name) or os.path.commonpath([root, target]) != root:
        raise ValueError(
            f"archive {archive} rejected: member {member_name!r} would be written "
            "outside the extraction folder. Use an archive whose member paths are "
            "relative and stay inside it."
        )
    return Path(target)


def _write_member(source, target):
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as handle:
        shutil.copyfileobj(source, handle)


def _reject_special(archive, member_name):
    raise ValueError(
        f"archive {archive} rejected: member {member_name!r} is a link or special "
        "file. Only regular files and folders are extracted."
    )
