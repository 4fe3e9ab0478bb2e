"""Figures of one exercise: confusion matrix, loss and accuracy curves, and for
Monte Carlo exercises the uncertainty histograms, the reliability diagram and
the test images with the highest mutual information.

Figures are drawn on `matplotlib.figure.Figure` objects with the Agg canvas,
without pyplot, so no GUI backend or global figure state is involved. PNG
files carry no "Software" text chunk, so the same inputs and matplotlib
version give the same bytes.
"""

import logging
import time

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from dl_exercises.files import atomic_path, load_arrays, read_json
from dl_exercises.uncertainty import per_sample_variance

logger = logging.getLogger(__name__)

DPI = 100
PNG_METADATA = {"Software": None}
# Test images shown in the highest-mutual-information figure.
HIGHEST_MI_IMAGES = 8


def draw_training_figures(
    history_path,
    predictions_path,
    confusion_matrix_path,
    loss_curves_path,
    title,
    validation_label="validation",
):
    """Draw the confusion matrix and the loss curves of one trained model.

    Args:
        history_path: history CSV with columns epoch, loss, accuracy and,
            with validation data, val_loss and val_accuracy.
        predictions_path: `.npz` with probabilities float32 (samples,
            classes) and y_true uint8 (samples,).
        confusion_matrix_path, loss_curves_path: PNG files to write.
        title: the exercise title, shown above each figure.
        validation_label: legend of the val_* curves, which name the test
            subset when it served as validation data.
    """
    started = time.perf_counter()
    logger.info(
        "drawing figures titled %r from %s and %s", title, history_path, predictions_path
    )

    arrays = load_arrays(
        predictions_path, {"probabilities": ("float32", 2), "y_true": ("uint8", 1)}
    )
    y_pred = arrays["probabilities"].argmax(axis=1)
    counts = confusion_counts(arrays["y_true"], y_pred, arrays["probabilities"].shape[1])
    save_figure(confusion_matrix_figure(counts, title), confusion_matrix_path)

    history = read_history(history_path)
    save_figure(loss_curves_figure(history, title, validation_label), loss_curves_path)
    logger.info(
        "wrote %s and %s in %.1f s",
        confusion_matrix_path,
        loss_curves_path,
        time.perf_counter() - started,
    )


def draw_predictive_variance(probabilities_path, predictive_variance_path, title):
    """Draw the histogram of per-sample predictive variance of the MC passes.

    Args:
        probabilities_path: `.npz` with probabilities float32 (passes,
            samples, classes) and y_true uint8 (samples,).
        predictive_variance_path: PNG file to write.
        title: the exercise title, shown above the figure.
    """
    started = time.perf_counter()
    logger.info("drawing the predictive variance of %s", probabilities_path)
    arrays = load_arrays(
        probabilities_path, {"probabilities": ("float32", 3), "y_true": ("uint8", 1)}
    )
    variance = per_sample_variance(arrays["probabilities"])
    passes = arrays["probabilities"].shape[0]
    save_figure(predictive_variance_figure(variance, passes, title), predictive_variance_path)
    logger.info("wrote %s in %.1f s", predictive_variance_path, time.perf_counter() - started)


def draw_mc_figures(per_sample_path, summary_path, subset_path, outputs, title):
    """Draw the Monte Carlo figures of one exercise and seed from its uncertainty files.

    Args:
        per_sample_path: per_sample.csv of the uncertainty rule.
        summary_path: summary.json of the uncertainty rule (passes and
            reliability bins).
        subset_path: the subset `.npz` whose x_test contains the test images in
            the order of the per-sample rows.
        outputs: dict of PNG paths with the keys `predictive_variance`,
            `mutual_information`, `reliability_diagram` and
            `highest_mutual_information`.
        title: the exercise title, shown above each figure.

    Raises:
        ValueError: the subset's test labels differ from the per-sample rows.
    """
    started = time.perf_counter()
    logger.info("drawing Monte Carlo figures from %s and %s", per_sample_path, summary_path)
    table = pd.read_csv(per_sample_path)
    summary = read_json(summary_path)
    subset = load_arrays(subset_path, {"x_test": ("uint8", 4), "y_test": ("uint8", 1)})
    if not np.array_equal(subset["y_test"], table["y_true"].to_numpy()):
        raise ValueError(
            f"the test labels of {subset_path} differ from the y_true column of "
            f"{per_sample_path}; both must describe the same test subset. Re-run the "
            "uncertainty rule."
        )

    passes = summary["passes"]
    save_figure(
        predictive_variance_figure(table["predictive_variance"].to_numpy(), passes, title),
        outputs["predictive_variance"],
    )
    save_figure(
        mutual_information_figure(table["mutual_information"].to_numpy(), passes, title),
        outputs["mutual_information"],
    )
    save_figure(
        reliability_figure(
            summary["deterministic"]["reliability"], summary["mc"]["reliability"], summary, title
        ),
        outputs["reliability_diagram"],
    )
    save_figure(
        highest_mutual_information_figure(table, subset["x_test"], title),
        outputs["highest_mutual_information"],
    )
    logger.info(
        "wrote %s in %.1f s", ", ".join(str(path) for path in outputs.values()),
        time.perf_counter() - started,
    )


def confusion_counts(y_true, y_pred, num_classes):
    """Return the (num_classes, num_classes) count matrix, rows true, columns predicted."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true has shape {y_true.shape} but the predictions have shape "
            f"{y_pred.shape}; both must hold one entry per test sample."
        )
    if y_true.size and (y_true.min() < 0 or y_true.max() >= num_classes):
        raise ValueError(
            f"y_true contains labels from {y_true.min()} to {y_true.max()}, "
            f"expected 0 to {num_classes - 1}; check the predictions file."
        )
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def read_history(path):
    """Return the training history CSV as a DataFrame, checking its columns."""
    history = pd.read_csv(path)
    missing = [column for column in ("epoch", "loss") if column not in history.columns]
    if missing:
        raise ValueError(
            f"{path} is missing the columns {missing}; it has {list(history.columns)}. "
            "Run the train rule again to rewrite the history."
        )
    return history


def confusion_matrix_figure(counts, title):
    """Return a figure of the count matrix with every cell's count written in it."""
    num_classes = counts.shape[0]
    figure = Figure(figsize=(6.4, 5.6), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(counts, cmap="Blues", vmin=0)
    figure.colorbar(image, ax=axes, label="Test samples")

    # Dark cells get white text so the count stays readable.
    threshold = counts.max() / 2 if counts.max() else 1
    for true_class in range(num_classes):
        for predicted_class in range(num_classes):
            count = counts[true_class, predicted_class]
            color = "white" if count > threshold else "black"
            axes.text(
                predicted_class,
                true_class,
                str(count),
                ha="center",
                va="center",
                color=color,
                fontsize=8,
            )

    axes.set_xticks(range(num_classes))
    axes.set_yticks(range(num_classes))
    axes.set_xlabel("Predicted class")
    axes.set_ylabel("True class")
    accuracy = np.trace(counts) / counts.sum() if counts.sum() else float("nan")
    axes.set_title(f"{title}\nConfusion matrix, test accuracy {accuracy:.3f}", fontsize=10)
    figure.tight_layout()
    return figure


def loss_curves_figure(history, title, validation_label="validation"):
    """Return a figure of loss (left) and accuracy (right) per epoch."""
    figure = Figure(figsize=(10, 4), dpi=DPI)
    FigureCanvasAgg(figure)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    _plot_metric(loss_axes, history, "loss", "Loss (cross-entropy)", validation_label)
    _plot_metric(accuracy_axes, history, "accuracy", "Accuracy", validation_label)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure


def _plot_metric(axes, history, metric, label, validation_label):
    """Plot the training and, when present, validation curve of `metric`."""
    if metric not in history.columns:
        axes.set_axis_off()
        axes.text(0.5, 0.5, f"no {metric} recorded", ha="center", va="center")
        return
    axes.plot(history["epoch"], history[metric], marker="o", label="training")
    if f"val_{metric}" in history.columns:
        axes.plot(history["epoch"], history[f"val_{metric}"], marker="s", label=validation_label)
    axes.set_xlabel("Epoch")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(label)
    axes.grid(alpha=0.3)
    axes.legend()


def predictive_variance_figure(variance, passes, title):
    """Return a histogram of per-sample variance with the mean marked."""
    return histogram_figure(
        variance,
        color="tab:blue",
        unit="",
        xlabel=f"Predictive variance across {passes} passes, mean over classes",
        title=f"{title}\nPer-sample predictive variance",
    )


def mutual_information_figure(information, passes, title):
    """Return a histogram of per-sample mutual information with the mean marked."""
    return histogram_figure(
        information,
        color="tab:purple",
        unit=" nats",
        xlabel=f"Mutual information (BALD) over {passes} passes, nats",
        title=f"{title}\nPer-sample mutual information",
    )


def histogram_figure(values, color, unit, xlabel, title):
    """Return a histogram over test samples with the mean as a dashed line."""
    figure = Figure(figsize=(6.4, 4.4), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.hist(values, bins=30, color=color, edgecolor="white")
    mean = float(np.mean(values))
    axes.axvline(mean, color="tab:red", linestyle="--", label=f"mean {mean:.4f}{unit}")
    axes.set_xlabel(xlabel)
    axes.set_ylabel("Test samples")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(title, fontsize=10)
    axes.legend()
    figure.tight_layout()
    return figure


def reliability_figure(deterministic_bins, mc_bins, summary, title):
    """Return the reliability diagram: accuracy against confidence per bin, both predictions."""
    figure = Figure(figsize=(6.4, 5.2), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], color="gray", linestyle=":", label="perfect calibration")

    series = (
        ("deterministic", deterministic_bins, "tab:blue", "o"),
        ("Monte Carlo mean", mc_bins, "tab:orange", "s"),
    )
    for label, bins, color, marker in series:
        filled = [index for index, count in enumerate(bins["count"]) if count]
        confidence = [bins["confidence"][index] for index in filled]
        accuracy = [bins["accuracy"][index] for index in filled]
        block = summary["deterministic" if label == "deterministic" else "mc"]
        axes.plot(
            confidence,
            accuracy,
            marker=marker,
            color=color,
            label=f"{label} (ECE {block['ece']:.3f})",
        )

    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel(f"Mean confidence per bin ({summary['ece_bins']} equal-width bins)")
    axes.set_ylabel("Accuracy per bin")
    axes.grid(alpha=0.3)
    axes.set_title(f"{title}\nReliability diagram", fontsize=10)
    axes.legend(loc="upper left")
    figure.tight_layout()
    return figure


def highest_mutual_information_figure(table, images, title, count=HIGHEST_MI_IMAGES):
    """Return a grid of the `count` test images with the highest mutual information.

    Ties keep the test order. Each image shows its label, the Monte Carlo
    prediction and the mutual information in nats.
    """
    order = np.argsort(-table["mutual_information"].to_numpy(), kind="stable")[:count]
    columns = 4
    rows = max(1, int(np.ceil(len(order) / columns)))
    figure = Figure(figsize=(2.2 * columns, 2.5 * rows + 0.6), dpi=DPI)
    FigureCanvasAgg(figure)
    grid = figure.subplots(rows, columns, squeeze=False)
    for position, axes in enumerate(grid.flat):
        axes.set_axis_off()
        if position >= len(order):
            continue
        sample = int(order[position])
        image = images[sample]
        if image.shape[-1] == 1:
            axes.imshow(image[..., 0], cmap="gray", vmin=0, vmax=255)
        else:
            axes.imshow(image)
        row = table.iloc[sample]
        axes.set_title(
            f"#{sample}: label {int(row['y_true'])}, MC {int(row['mc_prediction'])}\n"
            f"MI {row['mutual_information']:.3f} nats",
            fontsize=8,
        )
    figure.suptitle(f"{title}\nTest images with the highest mutual information", fontsize=10)
    figure.tight_layout()
    return figure


def save_figure(figure, path):
    """Write `figure` as a PNG without version metadata, atomically."""
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=DPI, metadata=PNG_METADATA)
