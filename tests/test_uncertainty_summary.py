"""Tests of the per-sample uncertainty CSV and the summary JSON of one MC run."""

import json

import numpy as np
import pandas as pd
import pytest

from dl_exercises.uncertainty_summary import PER_SAMPLE_COLUMNS, summarise_uncertainty

# 2 passes, 3 samples, 2 classes. Labels 0, 1, 0.
PASSES = np.array(
    [
        [[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]],
        [[0.7, 0.3], [0.2, 0.8], [0.4, 0.6]],
    ],
    dtype=np.float32,
)
# Deterministic predictions: sample 0 right, sample 1 wrong, sample 2 wrong.
DETERMINISTIC = np.array([[0.8, 0.2], [0.7, 0.3], [0.3, 0.7]], dtype=np.float32)
LABELS = np.array([0, 1, 0], dtype=np.uint8)


def write_files(tmp_path, passes=PASSES, deterministic=DETERMINISTIC, labels=LABELS):
    np.savez(tmp_path / "probabilities.npz", probabilities=passes, y_true=labels)
    np.savez(tmp_path / "predictions.npz", probabilities=deterministic, y_true=labels)


def summarise(tmp_path):
    summary = summarise_uncertainty(
        tmp_path / "probabilities.npz",
        tmp_path / "predictions.npz",
        "ex6",
        42,
        tmp_path / "out" / "per_sample.csv",
        tmp_path / "out" / "summary.json",
    )
    table = pd.read_csv(tmp_path / "out" / "per_sample.csv")
    return summary, table


def test_summary_written_as_returned(tmp_path):
    write_files(tmp_path)
    summary, _ = summarise(tmp_path)
    stored = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert stored == summary
    assert summary["exercise"] == "ex6"
    assert summary["seed"] == 42
    assert summary["passes"] == 2
    assert summary["n_test"] == 3
    assert summary["ece_bins"] == 15


def test_per_sample_columns_and_values(tmp_path):
    write_files(tmp_path)
    _, table = summarise(tmp_path)
    assert list(table.columns) == PER_SAMPLE_COLUMNS
    assert len(table) == 3
    # MC means: (0.8, 0.2), (0.4, 0.6), (0.3, 0.7); predictions 0, 1, 1.
    assert table["mc_prediction"].tolist() == [0, 1, 1]
    assert table["deterministic_prediction"].tolist() == [0, 0, 1]
    np.testing.assert_allclose(table["mc_confidence"], [0.8, 0.6, 0.7], rtol=1e-6)
    # Sample 2: class 0 contains 0.2 and 0.4, variance 0.01, same for class 1.
    np.testing.assert_allclose(table["predictive_variance"], [0.01, 0.04, 0.01], rtol=1e-5)
    np.testing.assert_allclose(table["variation_ratio"], [0.0, 0.5, 0.0])
    np.testing.assert_allclose(table["mc_nll"], -np.log([0.8, 0.6, 0.3]), rtol=1e-6)
    np.testing.assert_allclose(table["deterministic_brier"], [0.08, 0.98, 0.98], rtol=1e-6)


def test_summary_accuracies_and_mcnemar(tmp_path):
    write_files(tmp_path)
    summary, _ = summarise(tmp_path)
    assert summary["deterministic"]["accuracy"] == pytest.approx(1 / 3)
    assert summary["mc"]["accuracy"] == pytest.approx(2 / 3)
    assert summary["mc"]["correct"] == 2
    low, high = summary["mc"]["accuracy_interval"]
    assert low < 2 / 3 < high
    # Only sample 1 is discordant: MC right, deterministic wrong. p = 2 * 0.5 = 1.
    assert summary["mcnemar"] == {
        "deterministic_only_correct": 0,
        "mc_only_correct": 1,
        "p_value": 1.0,
    }
    assert summary["mc"]["mean_predictive_variance"] == pytest.approx(0.02, rel=1e-5)
    assert summary["mc"]["variation_ratio"] == pytest.approx(0.5 / 3)
    assert summary["deterministic"]["brier"] == pytest.approx((0.08 + 0.98 + 0.98) / 3, rel=1e-6)
    assert "mutual_information" not in summary["deterministic"]
    assert len(summary["mc"]["reliability"]["count"]) == 15


def test_single_pass_summary(tmp_path):
    # With one pass the MC mean is that pass: no disagreement between passes.
    write_files(tmp_path, passes=PASSES[:1])
    summary, table = summarise(tmp_path)
    assert summary["passes"] == 1
    assert summary["mc"]["mutual_information"] == pytest.approx(0.0, abs=1e-12)
    assert summary["mc"]["mean_predictive_variance"] == 0.0
    assert summary["mc"]["variation_ratio"] == 0.0
    np.testing.assert_allclose(table["predictive_entropy"], table["expected_entropy"], atol=1e-12)


def test_mismatched_labels_raise(tmp_path):
    write_files(tmp_path)
    np.savez(tmp_path / "predictions.npz", probabilities=DETERMINISTIC, y_true=np.array([1, 1, 0], dtype=np.uint8))
    with pytest.raises(ValueError, match="y_true differs"):
        summarise(tmp_path)
    assert not (tmp_path / "out" / "summary.json").exists()


def test_mismatched_shapes_raise(tmp_path):
    write_files(tmp_path, deterministic=DETERMINISTIC[:2], labels=LABELS)
    with pytest.raises(ValueError, match="same test samples"):
        summarise(tmp_path)
