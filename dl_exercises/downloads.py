"""HTTP downloads that stream to a temporary file, retry and verify a checksum.

A download is written to a hidden `.part` file beside its destination and
renamed into place only after the whole body arrived and its SHA-256 (when
one is expected) and format check passed. Any failure deletes the `.part`
file, so the destination either does not exist or contains a verified file.
"""

import hashlib
import http.client
import logging
import os
import socket
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

logger = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_SECONDS = 60
DOWNLOAD_RETRIES = 3
RETRY_BACKOFF_SECONDS = 1.0
PROGRESS_INTERVAL_SECONDS = 5.0
CHUNK_BYTES = 1 << 20

# HTTP statuses worth another attempt: rate limiting and server errors.
TRANSIENT_STATUSES = {429, 500, 502, 503, 504}


class DownloadError(OSError):
    """A download that failed before its checksum could be checked."""


class ChecksumError(ValueError):
    """A file whose SHA-256 differs from the expected one."""


class _TransientError(Exception):
    """A failed attempt that another attempt may fix."""


class _PermanentError(Exception):
    """A failed attempt that another attempt will not fix, such as HTTP 404."""


def download_file(
    url,
    destination,
    expected_sha256=None,
    *,
    fix_hint="",
    check=None,
    retries=DOWNLOAD_RETRIES,
    backoff_seconds=RETRY_BACKOFF_SECONDS,
    timeout_seconds=DOWNLOAD_TIMEOUT_SECONDS,
    progress_interval_seconds=PROGRESS_INTERVAL_SECONDS,
):
    """Download `url` to `destination`, verified, with retries on transient errors.

    Connection resets, timeouts, bodies shorter than their Content-Length
    and HTTP 429 and 5xx responses are retried up to `retries` times, waiting
    `backoff_seconds` times 1, 2, 4, ... between attempts. Other HTTP errors
    (such as 404) and checksum mismatches fail at once.

    Args:
        url: the http(s) URL to download.
        destination: the file to create, in an existing folder.
        expected_sha256: the hex SHA-256 the file must have, or None.
        fix_hint: a sentence appended to every error, saying what to do.
        check: a function called with the `.part` path after the checksum
            passed; it raises ValueError when the file has the wrong format.
        retries: attempts after the first one.
        backoff_seconds: wait before the first retry, doubled for each next one.
        timeout_seconds: socket timeout of the connection and of each read.
        progress_interval_seconds: minimum time between two progress lines.

    Returns:
        The SHA-256 of the downloaded file.

    Raises:
        DownloadError: the download failed, on the last attempt if transient.
        ChecksumError: the file's SHA-256 differs from `expected_sha256`.
        ValueError: `check` rejected the file.
    """
    destination = Path(destination)
    temporary = destination.with_name(f".{destination.name}.{uuid.uuid4().hex}.part")
    try:
        actual_sha256 = _download_with_retries(
            url,
            temporary,
            destination.name,
            fix_hint,
            (retries, backoff_seconds, timeout_seconds, progress_interval_seconds),
        )
        if expected_sha256 is not None and actual_sha256 != expected_sha256:
            raise ChecksumError(
                f"checksum mismatch for {destination.name} downloaded from {url}: "
                f"expected sha256 {expected_sha256}, got {actual_sha256}. The download "
                f"was deleted. {fix_hint}"
            )
        if check is not None:
            check(temporary)
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)
    return actual_sha256


def _download_with_retries(url, temporary, name, fix_hint, settings):
    """Stream `url` into `temporary`, retrying transient failures; return the SHA-256."""
    retries, backoff_seconds, timeout_seconds, interval = settings
    for attempt in range(retries + 1):
        try:
            return _stream_to_file(url, temporary, timeout_seconds, interval)
        except _PermanentError as error:
            raise DownloadError(f"download of {name} from {url} failed: {error}. {fix_hint}") from error
        except _TransientError as error:
            if attempt == retries:
                raise DownloadError(
                    f"download of {name} from {url} failed after "
                    f"{retries + 1} attempts: {error}. {fix_hint}"
                ) from error
            delay = backoff_seconds * 2**attempt
            logger.warning(
                "attempt %d of %d to download %s failed (%s); retrying in %.1f s",
                attempt + 1,
                retries + 1,
                url,
                error,
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _stream_to_file(url, path, timeout_seconds, interval):
    """Write one attempt's body of `url` to `path` and return its SHA-256.

    Raises:
        _TransientError: a failure that another attempt may fix.
        _PermanentError: a failure that another attempt will not fix.
    """
    logger.info("downloading %s", url)
    try:
        with urllib.request.urlopen(url, timeout=timeout_seconds) as response:
            declared = response.headers.get("Content-Length")
            expected_bytes = int(declared) if declared is not None else None
            digest, received = _copy_body(response, path, expected_bytes, interval)
    except urllib.error.HTTPError as error:
        if error.code in TRANSIENT_STATUSES:
            raise _TransientError(f"HTTP {error.code} {error.reason}") from error
        raise _PermanentError(f"HTTP {error.code} {error.reason}") from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, (ConnectionError, socket.timeout, TimeoutError)):
            raise _TransientError(str(error.reason)) from error
        raise _PermanentError(str(error.reason)) from error
    except (ConnectionError, TimeoutError, http.client.HTTPException) as error:
        raise _TransientError(f"{type(error).__name__}: {error}") from error

    if expected_bytes is not None and received != expected_bytes:
        raise _TransientError(
            f"the connection closed after {received} of the {expected_bytes} bytes "
            "that the server announced (Content-Length), so the file is truncated"
        )
    return digest.hexdigest()


def _copy_body(response, path, expected_bytes, interval):
    """Copy the response body to `path`, logging progress; return (digest, bytes)."""
    digest = hashlib.sha256()
    received = 0
    started = last_report = time.monotonic()
    with open(path, "wb") as handle:
        for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
            digest.update(chunk)
            handle.write(chunk)
            received += len(chunk)
            now = time.monotonic()
            if now - last_report >= interval:
                _log_progress(received, expected_bytes, now - started)
                last_report = now
    _log_progress(received, expected_bytes, time.monotonic() - started)
    return digest, received


def _log_progress(received, expected_bytes, elapsed):
    total = "unknown" if expected_bytes is None else str(expected_bytes)
    rate = received / elapsed / 1e6 if elapsed > 0 else 0.0
    logger.info("received %d of %s bytes (%.2f MB/s)", received, total, rate)
