"""Dataset sources: a checksum-verified official or mirror download, or a local copy.

`fetch_dataset` builds `data/raw/<dataset>/` in a temporary sibling folder,
reads the dataset from it once to prove that it is intact, and renames it
into place at the end, so a failed job leaves nothing behind. The folder
contains the dataset's files and `manifest.json`, which records where the
files came from and whether their content matches the official release.
"""

import logging
import os
import shutil
import time
import uuid
from pathlib import Path

from dl_exercises.archives import extract_archive
from dl_exercises.caches import cache_folder, file_lock, publish_copy
from dl_exercises.downloads import ChecksumError, DownloadError
from dl_exercises.files import sha256_file, write_json
from dl_exercises.official import (
    MNIST_IDX_SHA256,
    OFFICIAL_BASE_URLS,
    OFFICIAL_SHA256,
    compare_with_official,
)
from dl_exercises.readers import CIFAR10_FOLDER, read_dataset
from dl_exercises.remote_sources import check_override_names, fetch_planned, plan_downloads

__all__ = ["ChecksumError", "DownloadError", "fetch_dataset", "collect_files"]

logger = logging.getLogger(__name__)

SOURCE_KINDS = ("official", "mirror", "local")

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


def fetch_dataset(
    dataset,
    source,
    out_dir,
    base_urls=OFFICIAL_BASE_URLS,
    checksums=OFFICIAL_SHA256,
    cache_dir=None,
    download_options=None,
):
    """Download or copy one dataset's files into `out_dir`, with a manifest.

    Official and mirror sources use the Keras cache: a cached file whose
    SHA-256 matches is copied without touching the network, and new
    downloads enter the cache only after the dataset was read from them.
    A lock file in the cache lets one process at a time fetch a dataset.

    Args:
        dataset: `mnist`, `cifar10` or `svhn`.
        source: the config block `{"source": "official"|"mirror"|"local",
            "path", "url", "files", "stand_in"}` with `path` absolute.
            `files` maps a file name to `{"url", "sha256"}` overrides.
        out_dir: the raw folder to create, e.g. `data/raw/mnist`.
        base_urls: base URL per dataset, for the `official` source.
        checksums: expected SHA-256 per dataset and downloaded file name.
        cache_dir: the Keras cache folder; None means `$KERAS_HOME`, or
            `~/.keras` when it is unset. Datasets go to its `datasets` folder.
        download_options: keyword arguments of
            `dl_exercises.downloads.download_file`, such as `retries` and
            `backoff_seconds`.

    Raises:
        DownloadError: a download failed (HTTP error, no network, truncated).
        ChecksumError: a file does not match its checksum.
        FileNotFoundError: the local path or a dataset file is missing.
        ValueError: an unknown dataset or source, an unsafe or damaged
            archive, or files that the dataset's reader rejects.
    """
    if dataset not in DATASET_FILES:
        raise ValueError(f"unknown dataset {dataset!r}, expected one of {sorted(DATASET_FILES)}")
    if source["source"] not in SOURCE_KINDS:
        raise ValueError(
            f"datasets.{dataset}.source is {source['source']!r}, expected one of "
            f"{', '.join(SOURCE_KINDS)}"
        )
    started = time.monotonic()
    out_dir = Path(out_dir)
    logger.info("fetching %s from source %s into %s", dataset, source["source"], out_dir)

    staging = _make_staging_folder(out_dir)
    try:
        if source["source"] == "local":
            manifest = _fill_from_local(dataset, source, staging)
        else:
            remote = (base_urls, checksums, cache_dir, download_options or {})
            manifest = _fill_from_remote(dataset, source, staging, remote)
        write_json(staging / "manifest.json", manifest)
        # Locking the parent folder serialises two processes replacing the
        # same raw folder, for example two runs started with --nolock.
        with file_lock(out_dir.parent):
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


def _fill_from_remote(dataset, source, staging, remote):
    """Fill `staging` from an official or mirror source; return the manifest."""
    base_urls, checksums, cache_dir, download_options = remote
    plan = plan_downloads(dataset, source, base_urls, checksums)
    cache = cache_folder(cache_dir, "datasets")
    downloads = staging / ".downloads"

    with file_lock(cache / f".{dataset}.lock"):
        downloaded = fetch_planned(dataset, plan, downloads, cache, download_options)
        location = downloads
        if dataset == "cifar10":
            (planned,) = plan
            location = downloads / planned.name
        origin = f"the {source['source']} source at {plan[0].url.rsplit('/', 1)[0]}/"
        manifest = _describe_folder(dataset, source, staging, location, origin)
        for name in downloaded:
            publish_copy(downloads / name, cache / name)
            logger.info("added %s to the cache %s", name, cache)
    shutil.rmtree(downloads)

    manifest["urls"] = [planned.url for planned in plan]
    manifest["cache"] = str(cache)
    manifest["from_cache"] = sorted({planned.name for planned in plan} - set(downloaded))
    return manifest


def _fill_from_local(dataset, source, staging):
    """Fill `staging` from a local folder or archive; return the manifest."""
    location = _local_path(dataset, source.get("path"))
    manifest = _describe_folder(dataset, source, staging, location, str(location))
    _check_local_checksums(dataset, source.get("files") or {}, manifest)
    manifest["path"] = str(location)
    return manifest


def _describe_folder(dataset, source, staging, location, origin):
    """Collect the files into `staging`, read them once, and return the manifest."""
    archive = collect_files(dataset, location, staging)
    try:
        arrays = read_dataset(dataset, staging)
    except (ValueError, FileNotFoundError) as error:
        raise ValueError(
            f"the {dataset} files from {origin} cannot be read, so nothing was "
            f"written: {str(error).rstrip('.')}. Set datasets.{dataset} to a "
            "source with intact files."
        ) from error
    if (staging / ".extracted").exists():
        shutil.rmtree(staging / ".extracted")

    files = {name: _describe_file(staging / name) for name in _list_files(staging)}
    matches, check = compare_with_official(dataset, staging, files, archive)
    return {
        "dataset": dataset,
        "source": source["source"],
        "stand_in": bool(source.get("stand_in", False)),
        "files": files,
        "samples": {split: len(arrays[f"y_{split}"]) for split in ("train", "test")},
        "archive": archive,
        "matches_official": matches,
        "official_check": check,
    }


def _check_local_checksums(dataset, overrides, manifest):
    """Compare the local files (or archive) with the sha256 values the config sets."""
    archive = manifest["archive"]
    actual = {name: entry["sha256"] for name, entry in manifest["files"].items()}
    if archive is not None:
        actual[archive["name"]] = archive["sha256"]
    check_override_names(dataset, overrides, sorted(actual))
    for name, override in overrides.items():
        if override.get("url"):
            raise ValueError(
                f"datasets.{dataset}.files.{name}.url is set, but a local source downloads "
                f"nothing. Remove it, or set datasets.{dataset}.source to official or mirror."
            )
        expected = override.get("sha256")
        if expected is not None and actual[name] != expected:
            raise ChecksumError(
                f"checksum mismatch for {name} of the local {dataset} source: expected "
                f"sha256 {expected} (datasets.{dataset}.files.{name}.sha256), got "
                f"{actual[name]}. Nothing was written. Replace the copy on disk, or correct "
                "the expected sha256."
            )


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
    """Replace `out_dir` by `staging`; the caller holds the folder's lock."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.rename(staging, out_dir)


def _list_files(folder):
    """Return the relative paths of the regular files under `folder`, sorted.

    Hidden top-level folders such as `.downloads` are scratch space and skipped.
    """
    names = (path.relative_to(folder) for path in folder.rglob("*") if path.is_file())
    return sorted(name.as_posix() for name in names if not name.parts[0].startswith("."))


def _describe_file(path):
    return {"sha256": sha256_file(path), "bytes": path.stat().st_size}


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

    return archive


def _place_file(found, target, staging):
    """Hard-link a file that is already inside `staging`, copy any other.

    A linked download stays in `.downloads`, from where it is added to the
    cache after the dataset was read.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if staging in found.parents:
        os.link(found, target)
    else:
        shutil.copyfile(found, target)


def _find_file(folder, name):
    for candidate in (folder / name, folder / Path(name).name):
        if candidate.is_file():
            return candidate
    return None
