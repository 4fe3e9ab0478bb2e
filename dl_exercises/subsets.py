"""Subset cache: the first N training and M test samples of a raw dataset."""

import logging
import time
from pathlib import Path

from dl_exercises.files import read_json, save_arrays, sha256_array, write_json
from dl_exercises.readers import ORDER, read_dataset

logger = logging.getLogger(__name__)


def extract_subset(raw_dir, n_train, n_test, arrays_path, manifest_path, dataset=None):
    """Write the first `n_train` training and `n_test` test samples.

    Args:
        raw_dir: a folder written by `fetch_dataset`, with its manifest.json.
        n_train: number of training samples, taken from the start.
        n_test: number of test samples, taken from the start.
        arrays_path: the `.npz` file to write, with `x_train`, `y_train`,
            `x_test`, `y_test` (uint8, images `(N, H, W, C)`).
        manifest_path: the `.json` manifest to write.
        dataset: the dataset the caller expects, checked against the raw
            manifest when given.

    Raises:
        ValueError: the raw folder contains another dataset, or fewer samples
            than requested.
    """
    started = time.monotonic()
    raw_manifest = read_json(Path(raw_dir) / "manifest.json")
    name = raw_manifest["dataset"]
    if dataset is not None and dataset != name:
        raise ValueError(
            f"{raw_dir} contains dataset {name!r}, expected {dataset!r}. Delete the "
            "folder and run the workflow again."
        )
    logger.info("extracting %s train %d / test %d from %s", name, n_train, n_test, raw_dir)

    arrays = read_dataset(name, raw_dir)
    subset = {}
    for split, count in (("train", n_train), ("test", n_test)):
        _check_count(name, split, count, len(arrays[f"y_{split}"]), raw_dir)
        subset[f"x_{split}"] = arrays[f"x_{split}"][:count]
        subset[f"y_{split}"] = arrays[f"y_{split}"][:count]

    save_arrays(arrays_path, **subset)
    write_json(manifest_path, _manifest(name, n_train, n_test, raw_manifest, subset))
    logger.info(
        "wrote %s and %s in %.1f s", arrays_path, manifest_path, time.monotonic() - started
    )


def _check_count(dataset, split, requested, available, raw_dir):
    if requested < 1 or requested > available:
        raise ValueError(
            f"n_{split} is {requested}, but the {dataset} {split} split in "
            f"{raw_dir} contains {available} samples. Set exercises.<name>.n_{split} "
            f"to a value from 1 to {available} for every exercise that uses {dataset}."
        )


def _manifest(dataset, n_train, n_test, raw_manifest, subset):
    return {
        "dataset": dataset,
        "n_train": n_train,
        "n_test": n_test,
        "order": ORDER[dataset],
        "source": raw_manifest,
        "arrays": {
            name: {
                "shape": list(array.shape),
                "dtype": str(array.dtype),
                "sha256": sha256_array(array),
            }
            for name, array in subset.items()
        },
    }
