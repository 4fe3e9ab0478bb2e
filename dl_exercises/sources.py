"""Dataset sources: a checksum-verified official download or a local copy.

`fetch_dataset` builds `data/raw/<dataset>/` in a temporary sibling folder and
renames it into place at the end, so a failed job leaves nothing behind. The
folder contains the dataset's files and `manifest.json`, which records where the
files came from and whether their content matches the official release.
"""

import gzip
import hashlib
import logging
import os
import shutil
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from dl_exercises.archives import extract_archive
from dl_exercises.files import sha256_file, write_json

logger = logging.getLogger(__name__)

# Upstream locations, as TFDS 4.9.10 downloads them. Tests and mirrors pass
# another table with the same keys.
OFFICIAL_BASE_URLS = {
    "mnist": "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "cifar10": "https://www.cs.toronto.edu/~kriz/",
    "svhn": "http://ufldl.stanford.edu/housenumbers/",
}

# SHA-256 of each official download, from TFDS 4.9.10
# (url_checksums/mnist.txt, url_checksums/cifar10.txt and
# datasets/svhn_cropped/checksums.tsv).
OFFICIAL_SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "cifar10": {
        "cifar-10-binary.tar.gz": "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
    },
    "svhn": {
        "train_32x32.mat": "435e94d69a87fde4fd4d7f3dd208dfc32cb6ae8af2240d066de1df7508d083b8",
        "test_32x32.mat": "cdce80dfb2a2c4c6160906d0bd7c68ec5a99d7ca4831afa54f09182025b6a75b",
    },
}

# SHA-256 of the decompressed official MNIST IDX files, keyed by the `.gz`
# name. A recompressed copy has other `.gz` bytes but the same content.
# NOTE: these come from the SHA256SUMS.uncompressed file published beside a
# recompressed copy. They were not recomputed from an upstream download.
MNIST_IDX_SHA256 = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

CIFAR10_FOLDER = "cifar-10-batches-bin"

# Files copied into the raw folder, relative to it: required, then optional.
# A local folder may hold them at these paths or directly at its top level.
DATASET_FILES = {
    "mnist": (list(MNIST_IDX_SHA256), []),
    "cifar10": (
        [f"{CIFAR10_FOLDER}/data_batch_1.bin", f"{CIFAR10_FOLDER}/test_batch.bin"],
        [f"{CIFAR10_FOLDER}/data_batch_{index}.bin" for index in range(2, 6)]
        + [f"{CIFAR10_FOLDER}/batches.meta.txt"],
    ),
    "svhn": (["train_32x32.mat", "test_32x32.mat"], []),
}

DOWNLOAD_TIMEOUT_SECONDS = 60


class DownloadError(OSError):
    """A download that failed before its checksum could be checked."""


class ChecksumError(ValueError):
    """A file whose SHA-256 differs from the expected one."""


def fetch_dataset(
    dataset,
    source,
    out_dir,
    base_urls=OFFICIAL_BASE_URLS,
    checksums=OFFICIAL_SHA256,
):
    """Download or copy one dataset's files into `out_dir`, with a manifest.

    Args:
        dataset: `mnist`, `cifar10` or `svhn`.
        source: the config block `{"source": "official"|"local", "path",
            "stand_in"}` with `path` absolute.
        out_dir: the raw folder to create, e.g. `data/raw/mnist`.
        base_urls: base URL per dataset, for the `official` source.
        checksums: expected SHA-256 per dataset and downloaded file name.

    Raises:
        DownloadError: a download failed (HTTP error, no network).
        ChecksumError: a download does not match its checksum.
        FileNotFoundError: the local path or a dataset file is missing.
        ValueError: an unknown dataset or source, or an unsafe archive.
    """
    if dataset not in DATASET_FILES:
        raise ValueError(f"unknown dataset {dataset!r}, expected one of {sorted(DATASET_FILES)}")
    started = time.monotonic()
    out_dir = Path(out_dir)
    logger.info("fetching %s from source %s into %s", dataset, source["source"], out_dir)

    staging = _make_staging_folder(out_dir)
    try:
        manifest = _fill_folder(dataset, source, staging, base_urls, checksums)
        write_json(staging / "manifest.json", manifest)
        _replace_folder(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)

    logger.info(
        "wrote %d files to %s in %.1f s (matches official: %s)",
        len(manifest["files"]),
        out_dir,
        time.monotonic() - started,
        manifest["matches_official"],
    )
    return manifest


def _fill_folder(dataset, source, staging, base_urls, checksums):
    """Put the dataset's files into `staging` and return the manifest."""
    kind = source["source"]
    if kind == "official":
        downloads = staging / ".downloads"
        urls = download_official(dataset, downloads, base_urls, checksums)
        location = downloads
        if dataset == "cifar10":
            (archive_name,) = checksums[dataset]
            location = downloads / archive_name
        origin = {"urls": urls}
    elif kind == "local":
        location = _local_path(dataset, source.get("path"))
        origin = {"path": str(location)}
    else:
        raise ValueError(
            f"datasets.{dataset}.source is {kind!r}, expected official or local"
        )

    archive = collect_files(dataset, location, staging)
    files = {name: _describe_file(staging / name) for name in _list_files(staging)}
    matches, check = compare_with_official(dataset, staging, files, archive)
    return {
        "dataset": dataset,
        "source": kind,
        **origin,
        "stand_in": bool(source.get("stand_in", False)),
        "files": files,
        "archive": archive,
        "matches_official": matches,
        "official_check": check,
    }


def _local_path(dataset, path):
    if not path:
        raise ValueError(
            f"datasets.{dataset}.path is not set, but datasets.{dataset}.source is "
            "local. Set it to a folder or a .tar.gz/.tgz/.zip archive of the dataset."
        )
    location = Path(path)
    if not location.exists():
        raise FileNotFoundError(
            f"local {dataset} source {location} not found. Set datasets.{dataset}.path "
            "to an existing folder or .tar.gz/.tgz/.zip archive."
        )
    return location


def _make_staging_folder(out_dir):
    """Create an empty sibling folder of `out_dir`, with the usual permissions."""
    staging = out_dir.parent / f".{out_dir.name}.{uuid.uuid4().hex}.tmp"
    staging.mkdir(parents=True)
    return staging


def _replace_folder(staging, out_dir):
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.rename(staging, out_dir)


def _list_files(folder):
    """Return the relative paths of the regular files under `folder`, sorted."""
    return sorted(
        path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()
    )


def _describe_file(path):
    return {"sha256": sha256_file(path), "bytes": path.stat().st_size}


# Official download.


def download_official(dataset, folder, base_urls, checksums):
    """Download every official file of `dataset` into `folder`, verified.

    Returns:
        The list of URLs downloaded.
    """
    folder.mkdir(parents=True, exist_ok=True)
    urls = []
    for name, sha256 in checksums[dataset].items():
        url = base_urls[dataset] + name
        download_verified(url, folder / name, sha256, dataset)
        urls.append(url)
    return urls


def download_verified(url, destination, expected_sha256, dataset):
    """Stream `url` to a temporary file, check its SHA-256, then rename it.

    On a failed download or a checksum mismatch the temporary file is
    deleted and `destination` is not created.
    """
    started = time.monotonic()
    logger.info("downloading %s", url)
    temporary = destination.with_name(f".{destination.name}.part")
    try:
        actual_sha256 = _stream_to_file(url, temporary)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise DownloadError(
            f"download of {url} failed: {error}. Check the network connection, or "
            f"set datasets.{dataset}.source to local and datasets.{dataset}.path "
            "to a copy on disk."
        ) from error

    if actual_sha256 != expected_sha256:
        temporary.unlink()
        raise ChecksumError(
            f"checksum mismatch for {destination.name} downloaded from {url}: "
            f"expected sha256 {expected_sha256}, got {actual_sha256}. The download "
            f"was deleted. Try again, or set datasets.{dataset}.source to local and "
            f"datasets.{dataset}.path to a verified copy on disk."
        )
    os.replace(temporary, destination)
    logger.info(
        "downloaded %s (%d bytes, sha256 verified) in %.1f s",
        destination.name,
        destination.stat().st_size,
        time.monotonic() - started,
    )


def _stream_to_file(url, path, chunk_size=1 << 20):
    """Write the body of `url` to `path` and return its SHA-256."""
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
        with open(path, "wb") as handle:
            for chunk in iter(lambda: response.read(chunk_size), b""):
                digest.update(chunk)
                handle.write(chunk)
    return digest.hexdigest()


# Local folders and archives.


def collect_files(dataset, location, staging):
    """Copy the dataset's files from a folder or archive into `staging`.

    Returns:
        `{"name", "sha256"}` of the archive, or None for a folder.
    """
    archive = None
    folder = location
    scratch = staging / ".extracted"
    if location.is_file():
        archive = {"name": location.name, "sha256": sha256_file(location)}
        extract_archive(location, scratch)
        folder = scratch

    required, optional = DATASET_FILES[dataset]
    missing = [name for name in required if _find_file(folder, name) is None]
    if missing:
        raise FileNotFoundError(
            f"{location} is missing {', '.join(missing)}. A {dataset} source must "
            f"contain {', '.join(required)}, at these paths or at its top level."
        )
    for name in required + optional:
        found = _find_file(folder, name)
        if found is not None:
            _place_file(found, staging / name, staging)

    for temporary in (scratch, staging / ".downloads"):
        if temporary.exists():
            shutil.rmtree(temporary)
    return archive


def _place_file(found, target, staging):
    """Move a file that is already inside `staging`, copy any other."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if staging in found.parents:
        os.replace(found, target)
    else:
        shutil.copyfile(found, target)


def _find_file(folder, name):
    for candidate in (folder / name, folder / Path(name).name):
        if candidate.is_file():
            return candidate
    return None


# Comparison with the official release.


def compare_with_official(dataset, folder, files, archive):
    """Return whether the files hold the official content, and what was compared.

    Args:
        dataset: the dataset name.
        folder: the folder holding the files.
        files: `{relative name: {"sha256", "bytes"}}` of the files.
        archive: `{"name", "sha256"}` of the source archive, or None.

    Returns:
        `(matches_official, official_check)`: a bool and a sentence.
    """
    if dataset == "mnist":
        return _compare_mnist(folder, files)
    if dataset == "cifar10":
        return _compare_cifar10(archive)
    return _compare_files(dataset, files)


def _compare_mnist(folder, files):
    matched = 0
    for name, expected in OFFICIAL_SHA256["mnist"].items():
        if files[name]["sha256"] == expected or _gunzip_sha256(folder / name) == MNIST_IDX_SHA256[name]:
            matched += 1
    total = len(OFFICIAL_SHA256["mnist"])
    check = (
        f"{matched} of {total} files matched the official content. Each .gz file's "
        "sha256 was compared with the official download and, where it differed, "
        "the sha256 of its decompressed IDX content with that of the official file."
    )
    return matched == total, check


def _gunzip_sha256(path, chunk_size=1 << 20):
    digest = hashlib.sha256()
    with gzip.open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _compare_cifar10(archive):
    (name,) = OFFICIAL_SHA256["cifar10"]
    if archive is None:
        return False, (
            f"not compared, because only the archive {name} has an official sha256 "
            "and the source was a folder of extracted .bin files"
        )
    matches = archive["sha256"] == OFFICIAL_SHA256["cifar10"][name]
    outcome = "matched" if matches else "differed from"
    return matches, f"the sha256 of the archive {archive['name']} {outcome} that of the official {name}"


def _compare_files(dataset, files):
    official = OFFICIAL_SHA256[dataset]
    matched = sum(files[name]["sha256"] == sha256 for name, sha256 in official.items())
    check = f"{matched} of {len(official)} files matched the sha256 of the official download"
    return matched == len(official), check
