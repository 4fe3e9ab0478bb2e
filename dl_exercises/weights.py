"""MobileNetV2 ImageNet weights: from the Keras cache (downloaded when missing), or a local file."""

import logging
import shutil
import time
from pathlib import Path

import h5py

from dl_exercises.caches import cache_folder, file_lock
from dl_exercises.downloads import download_file
from dl_exercises.files import atomic_path, sha256_file, write_json

logger = logging.getLogger(__name__)

# The URL and file name that keras/src/applications/mobilenet_v2.py (Keras
# 3.15) uses for MobileNetV2(weights="imagenet", include_top=False) with
# alpha 1.0 at 224x224. Keras publishes no checksum for this file.
KERAS_WEIGHTS_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
KERAS_WEIGHTS_FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"


def fetch_weights(weights, weights_path, manifest_path, cache_dir=None, download_options=None):
    """Copy the MobileNetV2 weights file to `weights_path`, with a manifest.

    Args:
        weights: `imagenet` (Keras' cached file, downloaded when missing) or
            the path of an HDF5 weights file.
        weights_path: the `.h5` file to write.
        manifest_path: the `.json` manifest to write: weights, sha256,
            bytes and origin.
        cache_dir: Keras' cache folder. None means `$KERAS_HOME` (default
            `~/.keras`). The file is looked up in its `models` subfolder,
            where `keras.applications.MobileNetV2` also looks for it.
        download_options: keyword arguments of
            `dl_exercises.downloads.download_file`, such as `retries`.

    Raises:
        ValueError: `weights` is `none`, or the file is not HDF5.
        FileNotFoundError: the weights path does not exist.
        DownloadError: the imagenet file is not cached and its download failed.
    """
    started = time.monotonic()
    if weights == "none":
        raise ValueError(
            "weights.mobilenet_v2 is none, so there is no weights file to fetch. "
            "The workflow runs no fetch_weights job for none."
        )
    if weights == "imagenet":
        origin = KERAS_WEIGHTS_BASE_URL + KERAS_WEIGHTS_FILE
        source = _keras_cached_weights(origin, cache_dir, download_options or {})
    else:
        source, origin = _local_weights(weights), str(Path(weights).resolve())
    check_mobilenet_v2_file(source, fix=PATH_FIX if weights != "imagenet" else CACHE_FIX)

    with atomic_path(weights_path) as temporary:
        shutil.copyfile(source, temporary)
    manifest = {
        "weights": weights,
        "sha256": sha256_file(weights_path),
        "bytes": Path(weights_path).stat().st_size,
        "origin": origin,
    }
    write_json(manifest_path, manifest)
    logger.info(
        "copied %s to %s (sha256 %s) in %.1f s",
        source,
        weights_path,
        manifest["sha256"],
        time.monotonic() - started,
    )
    return manifest


# Layers that the no-top MobileNetV2 weights file must contain.
MOBILENET_V2_LAYERS = ("Conv1", "out_relu")
PATH_FIX = (
    f"Set weights.mobilenet_v2 to the MobileNetV2 no-top .h5 file (such as "
    f"{KERAS_WEIGHTS_FILE}), imagenet or none."
)
CACHE_FIX = "Delete the damaged copy in the Keras cache, and it is downloaded again."


def _keras_cached_weights(url, cache_dir, download_options):
    """Return the cached Keras weights file, downloading it when missing.

    Keras publishes no checksum for this file, so a cached copy is trusted
    when h5py can open it. A download is renamed into the cache only after
    that check, under a lock shared with other processes using the cache.
    """
    models = cache_folder(cache_dir, "models")
    cached = models / KERAS_WEIGHTS_FILE
    with file_lock(models / f".{KERAS_WEIGHTS_FILE}.lock"):
        if cached.is_file():
            logger.info("using %s from the Keras cache; no download", cached)
            return cached
        download_file(
            url,
            cached,
            fix_hint=(
                "Check the network connection, or download the file on a connected "
                "machine (snakemake --cores 1 fetch_all) and copy it to "
                f"{cached}, or set weights.mobilenet_v2 to the path of the file."
            ),
            check=check_hdf5,
            **download_options,
        )
    return cached


def _local_weights(weights):
    path = Path(weights)
    if not path.is_file():
        raise FileNotFoundError(
            f"weights.mobilenet_v2 is {weights}, which is not an existing file. Set "
            "it to the path of the MobileNetV2 .h5 weights file, imagenet or none."
        )
    return path


def check_hdf5(path, fix=None):
    """Raise ValueError unless h5py can open `path` as an HDF5 file."""
    try:
        with h5py.File(path, "r"):
            pass
    except OSError as error:
        raise ValueError(
            f"{path} is not a readable HDF5 file ({error}). MobileNetV2 weights must "
            f"be the Keras .h5 file, such as {KERAS_WEIGHTS_FILE}. {fix or CACHE_FIX}"
        ) from error


def check_mobilenet_v2_file(path, fix):
    """Raise ValueError unless `path` is a Keras HDF5 file of MobileNetV2's layers.

    Keras' legacy weights files list their layers in the `layer_names`
    attribute; the no-top MobileNetV2 file starts its layers with `Conv1` and
    ends them with `out_relu`.
    """
    check_hdf5(path, fix)
    with h5py.File(path, "r") as weights_file:
        names = [
            name.decode() if isinstance(name, bytes) else str(name)
            for name in weights_file.attrs.get("layer_names", [])
        ]
    missing = [layer for layer in MOBILENET_V2_LAYERS if layer not in names]
    if missing:
        raise ValueError(
            f"{path} is an HDF5 file but not MobileNetV2 no-top weights: it has "
            f"{len(names)} layers and lacks {', '.join(missing)}. {fix}"
        )
