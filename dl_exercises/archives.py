"""Safe extraction of .tar.gz, .tgz and .zip archives.

Only regular files and folders are extracted; links, special files and
members whose paths lead outside the extraction folder are rejected.
"""

import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".zip")


def extract_archive(archive, folder):
    """Extract a .tar.gz, .tgz or .zip archive into `folder`, safely.

    Only regular files and folders are extracted.

    Raises:
        ValueError: the archive type is not supported, or a member is a
            link or special file, or its path leads outside `folder`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    name = archive.name.lower()
    if name.endswith((".tar.gz", ".tgz")):
        _extract_tar(archive, folder)
    elif name.endswith(".zip"):
        _extract_zip(archive, folder)
    else:
        raise ValueError(
            f"{archive} is not a supported archive. Use a folder or a file ending "
            f"in {', '.join(ARCHIVE_SUFFIXES)}."
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
