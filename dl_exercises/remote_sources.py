"""Official and mirror sources: which files to download, and the Keras cache.

Verified downloads are kept in `<Keras cache>/datasets/` under their
official file names, so a later run, or a compute node that shares the
cache, finds them there and touches no network.
"""

import logging
import shutil
from dataclasses import dataclass

from dl_exercises.archives import check_file_format
from dl_exercises.downloads import download_file
from dl_exercises.files import sha256_file

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedFile:
    """One file of a remote source: its official name, URL and expected SHA-256."""

    name: str
    url: str
    sha256: str


def plan_downloads(dataset, source, base_urls, checksums):
    """Return the `PlannedFile`s of an official or mirror source, overrides applied.

    Args:
        dataset: the dataset name.
        source: the config block, with `source` official or mirror, `url`
            (mirror base URL) and optional `files` overrides
            `{official file name: {"url", "sha256"}}`.
        base_urls: official base URL per dataset.
        checksums: official SHA-256 per dataset and file name.

    Raises:
        ValueError: a mirror without `url`, or an override of an unknown file.
    """
    kind = source["source"]
    if kind == "mirror":
        if not source.get("url"):
            raise ValueError(
                f"datasets.{dataset}.source is mirror, but datasets.{dataset}.url is not "
                "set. Set it to the base URL under which the official file names are served."
            )
        base_url = source["url"] if source["url"].endswith("/") else source["url"] + "/"
    else:
        base_url = base_urls[dataset]

    overrides = source.get("files") or {}
    check_override_names(dataset, overrides, list(checksums[dataset]))
    plan = []
    for name, sha256 in checksums[dataset].items():
        override = overrides.get(name) or {}
        plan.append(
            PlannedFile(name, override.get("url") or base_url + name, override.get("sha256") or sha256)
        )
    return plan


def check_override_names(dataset, overrides, allowed):
    """Raise ValueError when `datasets.<dataset>.files` names a file outside `allowed`."""
    unknown = sorted(set(overrides) - set(allowed))
    if unknown:
        raise ValueError(
            f"datasets.{dataset}.files overrides {', '.join(unknown)}, which this source "
            f"does not contain. Use one of: {', '.join(allowed)}."
        )


def fetch_planned(dataset, plan, folder, cache, download_options):
    """Put every planned file into `folder`, from `cache` when it contains a verified copy.

    The caller holds the cache's lock. Downloads are not added to the cache
    here: the caller publishes them once the whole dataset has been read.

    Returns:
        The names of the files that were downloaded, not taken from the cache.
    """
    folder.mkdir(parents=True, exist_ok=True)
    downloaded = []
    for planned in plan:
        cached = cache / planned.name
        if cached.is_file():
            cached_sha256 = sha256_file(cached)
            if cached_sha256 == planned.sha256:
                logger.info("using %s from the cache, sha256 verified; no download", cached)
                shutil.copyfile(cached, folder / planned.name)
                continue
            logger.warning(
                "cached %s has sha256 %s, expected %s; downloading it again",
                cached,
                cached_sha256,
                planned.sha256,
            )

        download_file(
            planned.url,
            folder / planned.name,
            planned.sha256,
            fix_hint=download_fix_hint(dataset),
            check=lambda path, name=planned.name: check_file_format(path, name),
            **download_options,
        )
        downloaded.append(planned.name)
    return downloaded


def download_fix_hint(dataset):
    """Return the sentence that download errors end with: what the user can do."""
    return (
        "Check the network connection and the URL, or set "
        f"datasets.{dataset}.source to local and datasets.{dataset}.path to a verified "
        f"copy on disk, or to mirror and datasets.{dataset}.url to another server's base "
        f"URL; datasets.{dataset}.files sets the URL or sha256 of a single file."
    )
