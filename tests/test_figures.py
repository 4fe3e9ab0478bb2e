"""Tests of the figures: PNG output, identical bytes on redraw, no TensorFlow."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dl_exercises.figures import (
    confusion_counts,
    draw_mc_figures,
    draw_predictive_variance,
    draw_training_figures,
    loss_curves_figure,
)
from dl_exercises.uncertainty_summary import summarise_uncertainty

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_predictions(path, samples=50, classes=10, seed=0):
    generator = np.random.default_rng(seed)
    logits = generator.normal(size=(samples, classes))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y_true = generator.integers(0, classes, size=samples).astype(np.uint8)
    np.savez(path, probabilities=probabilities.astype(np.float32), y_true=y_true)


def write_history(path, validation=True, epochs=4):
    history = {
        "epoch": list(range(1, epochs + 1)),
        "loss": [1.0 / epoch for epoch in range(1, epochs + 1)],
        "accuracy": [0.5 + 0.1 * epoch for epoch in range(epochs)],
    }
    if validation:
        history["val_loss"] = [1.2 / epoch for epoch in range(1, epochs + 1)]
        history["val_accuracy"] = [0.45 + 0.1 * epoch for epoch in range(epochs)]
    pd.DataFrame(history).to_csv(path, index=False)


def write_passes(path, passes=20, samples=40, classes=10, seed=1):
    generator = np.random.default_rng(seed)
    logits = generator.normal(size=(passes, samples, classes))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
    y_true = generator.integers(0, classes, size=samples).astype(np.uint8)
    np.savez(path, probabilities=probabilities.astype(np.float32), y_true=y_true)


def draw_training(tmp_path, folder, validation=True):
    write_history(tmp_path / "history.csv", validation=validation)
    write_predictions(tmp_path / "predictions.npz")
    output = tmp_path / folder
    draw_training_figures(
        tmp_path / "history.csv",
        tmp_path / "predictions.npz",
        output / "confusion_matrix.png",
        output / "loss_curves.png",
        "Exercise <1> & title",
    )
    return output / "confusion_matrix.png", output / "loss_curves.png"


def test_confusion_counts_hand_computed():
    counts = confusion_counts([0, 1, 1, 2, 2], [0, 1, 2, 2, 0], 3)
    expected = [[1, 0, 0], [0, 1, 1], [1, 0, 1]]
    np.testing.assert_array_equal(counts, expected)


def test_confusion_counts_rejects_label_out_of_range():
    with pytest.raises(ValueError, match="labels from 0 to 10"):
        confusion_counts([0, 10], [0, 1], 10)


def test_training_figures_are_png(tmp_path):
    for path in draw_training(tmp_path, "figures"):
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert b"matplotlib" not in data
        assert len(data) > 10_000


def test_training_figures_identical_on_redraw(tmp_path):
    first = draw_training(tmp_path, "first")
    second = draw_training(tmp_path, "second")
    for path_first, path_second in zip(first, second):
        assert path_first.read_bytes() == path_second.read_bytes()


def test_loss_curves_without_validation(tmp_path):
    _, loss_curves = draw_training(tmp_path, "figures", validation=False)
    assert loss_curves.read_bytes().startswith(PNG_SIGNATURE)


def test_loss_curves_name_test_subset(tmp_path):
    history = pd.DataFrame(
        {
            "epoch": [1, 2],
            "loss": [1.0, 0.5],
            "accuracy": [0.5, 0.7],
            "val_loss": [1.1, 0.6],
            "val_accuracy": [0.4, 0.6],
        }
    )
    figure = loss_curves_figure(history, "ex5", "test subset (validation data)")
    for axes in figure.axes:
        labels = [text.get_text() for text in axes.get_legend().get_texts()]
        assert labels == ["training", "test subset (validation data)"]


def test_predictive_variance_identical_on_redraw(tmp_path):
    write_passes(tmp_path / "probabilities.npz")
    outputs = [tmp_path / "first.png", tmp_path / "second.png"]
    for output in outputs:
        draw_predictive_variance(tmp_path / "probabilities.npz", output, "ex6")
    assert outputs[0].read_bytes().startswith(PNG_SIGNATURE)
    assert outputs[0].read_bytes() == outputs[1].read_bytes()


def test_predictive_variance_rejects_two_dimensional(tmp_path):
    write_predictions(tmp_path / "predictions.npz")
    with pytest.raises(ValueError, match="expected float32 with 3"):
        draw_predictive_variance(tmp_path / "predictions.npz", tmp_path / "out.png", "ex6")
    assert not (tmp_path / "out.png").exists()


MC_FIGURES = (
    "predictive_variance",
    "mutual_information",
    "reliability_diagram",
    "highest_mutual_information",
)


def write_uncertainty(tmp_path, samples=40, channels=1):
    """Write MC passes, predictions, their uncertainty files and a matching subset."""
    write_passes(tmp_path / "probabilities.npz", samples=samples)
    with np.load(tmp_path / "probabilities.npz") as stored:
        y_true = stored["y_true"]
        deterministic = stored["probabilities"][0]
    np.savez(tmp_path / "predictions.npz", probabilities=deterministic, y_true=y_true)
    summarise_uncertainty(
        tmp_path / "probabilities.npz",
        tmp_path / "predictions.npz",
        "ex6",
        42,
        tmp_path / "per_sample.csv",
        tmp_path / "summary.json",
    )
    images = np.random.default_rng(3).integers(0, 256, (samples, 8, 8, channels), dtype=np.uint8)
    np.savez(tmp_path / "subset.npz", x_test=images, y_test=y_true)


def draw_mc(tmp_path, folder):
    outputs = {name: tmp_path / folder / f"{name}.png" for name in MC_FIGURES}
    draw_mc_figures(
        tmp_path / "per_sample.csv", tmp_path / "summary.json", tmp_path / "subset.npz", outputs, "ex6"
    )
    return outputs


@pytest.mark.parametrize("channels", [1, 3])
def test_mc_figures_are_png_and_identical_on_redraw(tmp_path, channels):
    write_uncertainty(tmp_path, channels=channels)
    first = draw_mc(tmp_path, "first")
    second = draw_mc(tmp_path, "second")
    for name in MC_FIGURES:
        data = first[name].read_bytes()
        assert data.startswith(PNG_SIGNATURE), name
        assert len(data) > 5_000, name
        assert data == second[name].read_bytes(), name


def test_mc_figures_reject_other_subset(tmp_path):
    write_uncertainty(tmp_path)
    with np.load(tmp_path / "subset.npz") as stored:
        images, labels = stored["x_test"], stored["y_test"]
    np.savez(tmp_path / "subset.npz", x_test=images, y_test=(labels + 1) % 10)
    with pytest.raises(ValueError, match="differ from the y_true column"):
        draw_mc(tmp_path, "figures")
    assert not (tmp_path / "figures" / "predictive_variance.png").exists()


@pytest.mark.parametrize(
    "module",
    [
        "dl_exercises.uncertainty",
        "dl_exercises.uncertainty_summary",
        "dl_exercises.calibration",
        "dl_exercises.statistics",
        "dl_exercises.provenance",
        "dl_exercises.figures",
        "dl_exercises.answers",
        "dl_exercises.report",
        "dl_exercises.sources",
        "dl_exercises.subsets",
        "dl_exercises.readers",
        "dl_exercises.weights",
        "dl_exercises.logs",
    ],
)
def test_module_import_skips_tensorflow(module):
    code = (
        f"import sys, {module}\n"
        "loaded = sorted(name for name in ('tensorflow', 'keras') if name in sys.modules)\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
