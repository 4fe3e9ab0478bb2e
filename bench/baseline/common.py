"""Data loading and argument parsing shared by the notebook-style baseline scripts.

The baseline reads the same offline sources as the workflow, through the
package's own source and reader functions, so the data part is identical
and only the way the exercises are computed differs.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from dl_exercises import configuration, readers, sources

REPOSITORY = Path(__file__).resolve().parents[2]
OFFLINE_CONFIG = REPOSITORY / "configs" / "offline.yaml"


def parse_arguments(description, n_train, n_test, epochs, **extra):
    """Parse the subset sizes, epochs and any extra integer options of one exercise.

    Args:
        description: the script's help text.
        n_train, n_test, epochs: the exercise's defaults (EXERCISES.md).
        extra: further integer options and their defaults, such as
            `image_size=224` or `passes=20`.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n-train", type=int, default=n_train, help="training images")
    parser.add_argument("--n-test", type=int, default=n_test, help="test images")
    parser.add_argument("--epochs", type=int, default=epochs, help="maximum epochs")
    for name, default in extra.items():
        option = "--" + name.replace("_", "-")
        parser.add_argument(option, type=int, default=default, help=f"{name} (default {default})")
    parser.add_argument(
        "--figures", type=Path, default=None, help="folder for the figures (default: a temporary one)"
    )
    parser.add_argument(
        "--offline-config",
        type=Path,
        default=OFFLINE_CONFIG,
        help="YAML with the offline `datasets` and `weights` sources",
    )
    return parser.parse_args()


def offline_sources(config_path):
    """Return the `datasets` and `weights` blocks of an offline config, paths made absolute."""
    import yaml

    with open(config_path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    base = Path(config_path).resolve().parents[1]
    datasets = {}
    for name, source in config["datasets"].items():
        source = dict(source)
        source["path"] = str((base / source["path"]).resolve())
        datasets[name] = configuration.resolve_source(source)
    weights = str((base / config["weights"]["mobilenet_v2"]).resolve())
    return datasets, weights


def load_subset(dataset, n_train, n_test, config_path):
    """Copy one dataset from its offline source, read it and return its first images.

    Returns:
        `(x_train, y_train), (x_test, y_test)` as uint8 arrays, like
        `keras.datasets.<dataset>.load_data()` followed by slicing.
    """
    datasets, _ = offline_sources(config_path)
    with tempfile.TemporaryDirectory(prefix="baseline-raw-") as folder:
        raw = Path(folder) / dataset
        sources.fetch_dataset(dataset, datasets[dataset], raw)
        arrays = readers.read_dataset(dataset, raw)
    train = (arrays["x_train"][:n_train], arrays["y_train"][:n_train])
    test = (arrays["x_test"][:n_test], arrays["y_test"][:n_test])
    return train, test


def report(**figures):
    """Print one JSON line of results that bench/run_benchmark.py reads."""
    print("BASELINE " + json.dumps(figures, sort_keys=True), flush=True)


class Stopwatch:
    """Seconds since construction."""

    def __init__(self):
        self.started = time.perf_counter()

    def seconds(self):
        return time.perf_counter() - self.started


def draw_figures(history, y_test, y_pred, folder, variance=None):
    """Draw the notebook's figures: confusion matrix, loss curves and, with MC dropout, a variance histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    if folder is None:
        with tempfile.TemporaryDirectory(prefix="baseline-figures-") as temporary:
            draw_figures(history, y_test, y_pred, temporary, variance)
        return
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (y_test, y_pred), 1)
    figure, axes = plt.subplots()
    axes.imshow(confusion, cmap="Blues")
    figure.savefig(folder / "confusion_matrix.png")
    plt.close(figure)

    figure, axes = plt.subplots()
    for name in ("loss", "val_loss"):
        if name in history:
            axes.plot(history[name], label=name)
    axes.legend()
    figure.savefig(folder / "loss_curves.png")
    plt.close(figure)

    if variance is not None:
        figure, axes = plt.subplots()
        axes.hist(variance, bins=30)
        figure.savefig(folder / "predictive_variance.png")
        plt.close(figure)
