"""Per-sample uncertainty table and summary of one Monte Carlo exercise and seed.

Compares the deterministic predictions of the trained model (training's
predictions.npz, dropout off) with the Monte Carlo predictive mean of the
stored passes: accuracy with its Wilson interval, calibration, scoring rules
and McNemar's exact test on the paired correct predictions.
"""

import logging
import time

import numpy as np
import pandas as pd

from dl_exercises import calibration, statistics, uncertainty
from dl_exercises.files import atomic_path, load_arrays, write_json

logger = logging.getLogger(__name__)

# Columns of per_sample.csv, in order; one row per test sample.
PER_SAMPLE_COLUMNS = [
    "sample",
    "y_true",
    "deterministic_prediction",
    "deterministic_confidence",
    "deterministic_entropy",
    "deterministic_nll",
    "deterministic_brier",
    "mc_prediction",
    "mc_confidence",
    "predictive_variance",
    "predictive_entropy",
    "expected_entropy",
    "mutual_information",
    "variation_ratio",
    "mc_nll",
    "mc_brier",
]


def summarise_uncertainty(
    probabilities_path, predictions_path, exercise, seed, per_sample_path, summary_path
):
    """Compute every uncertainty measure and write per_sample.csv and summary.json.

    Args:
        probabilities_path: Monte Carlo `.npz`, probabilities float32
            (passes, samples, classes) and y_true uint8 (samples,).
        predictions_path: training's `.npz`, probabilities float32
            (samples, classes) and y_true uint8 (samples,).
        exercise, seed: stored in the summary.
        per_sample_path: CSV with the columns PER_SAMPLE_COLUMNS.
        summary_path: JSON with the means, ECE, accuracies with Wilson
            intervals, McNemar's test and the reliability bins of both
            predictions.

    Returns:
        The summary dict written to `summary_path`.

    Raises:
        ValueError: the two files disagree on labels or shapes.
    """
    started = time.perf_counter()
    logger.info("uncertainty of %s against %s", probabilities_path, predictions_path)
    passes = load_arrays(
        probabilities_path, {"probabilities": ("float32", 3), "y_true": ("uint8", 1)}
    )
    deterministic = load_arrays(
        predictions_path, {"probabilities": ("float32", 2), "y_true": ("uint8", 1)}
    )
    _check_paired(passes, deterministic, probabilities_path, predictions_path)

    table = per_sample_table(passes["probabilities"], deterministic["probabilities"], passes["y_true"])
    summary = summary_document(table, passes["probabilities"], deterministic["probabilities"])
    summary = {"exercise": exercise, "seed": int(seed), **summary}

    with atomic_path(per_sample_path) as temporary:
        table.to_csv(temporary, index=False)
    write_json(summary_path, summary)
    logger.info(
        "MC accuracy %.4f, deterministic %.4f, McNemar p %.4g; wrote %s and %s in %.1f s",
        summary["mc"]["accuracy"],
        summary["deterministic"]["accuracy"],
        summary["mcnemar"]["p_value"],
        per_sample_path,
        summary_path,
        time.perf_counter() - started,
    )
    return summary


def per_sample_table(passes, deterministic, labels):
    """Return the per-sample DataFrame with the columns PER_SAMPLE_COLUMNS."""
    mean = uncertainty.predictive_mean(passes)
    deterministic = np.asarray(deterministic, dtype=np.float64)
    return pd.DataFrame(
        {
            "sample": np.arange(len(labels)),
            "y_true": np.asarray(labels, dtype=np.int64),
            "deterministic_prediction": deterministic.argmax(axis=1),
            "deterministic_confidence": deterministic.max(axis=1),
            "deterministic_entropy": uncertainty.entropy(deterministic),
            "deterministic_nll": calibration.negative_log_likelihood(deterministic, labels),
            "deterministic_brier": calibration.brier_score(deterministic, labels),
            "mc_prediction": mean.argmax(axis=1),
            "mc_confidence": mean.max(axis=1),
            "predictive_variance": uncertainty.per_sample_variance(passes),
            "predictive_entropy": uncertainty.predictive_entropy(passes),
            "expected_entropy": uncertainty.expected_entropy(passes),
            "mutual_information": uncertainty.mutual_information(passes),
            "variation_ratio": uncertainty.variation_ratio(passes),
            "mc_nll": calibration.negative_log_likelihood(mean, labels),
            "mc_brier": calibration.brier_score(mean, labels),
        },
        columns=PER_SAMPLE_COLUMNS,
    )


def summary_document(table, passes, deterministic):
    """Return the summary of both predictions from the per-sample table."""
    labels = table["y_true"].to_numpy()
    n_test = len(labels)
    deterministic_correct = table["deterministic_prediction"].to_numpy() == labels
    mc_correct = table["mc_prediction"].to_numpy() == labels
    mean = uncertainty.predictive_mean(passes)

    def accuracy_block(correct):
        successes = int(correct.sum())
        return {
            "accuracy": successes / n_test,
            "correct": successes,
            "accuracy_interval": list(statistics.wilson_interval(successes, n_test)),
        }

    deterministic_block = {
        **accuracy_block(deterministic_correct),
        "nll": float(table["deterministic_nll"].mean()),
        "brier": float(table["deterministic_brier"].mean()),
        "ece": calibration.expected_calibration_error(deterministic, labels),
        "predictive_entropy": float(table["deterministic_entropy"].mean()),
        "reliability": calibration.reliability_bins(deterministic, labels),
    }
    mc_block = {
        **accuracy_block(mc_correct),
        "nll": float(table["mc_nll"].mean()),
        "brier": float(table["mc_brier"].mean()),
        "ece": calibration.expected_calibration_error(mean, labels),
        "mean_predictive_variance": float(table["predictive_variance"].mean()),
        "predictive_entropy": float(table["predictive_entropy"].mean()),
        "expected_entropy": float(table["expected_entropy"].mean()),
        "mutual_information": float(table["mutual_information"].mean()),
        "variation_ratio": float(table["variation_ratio"].mean()),
        "reliability": calibration.reliability_bins(mean, labels),
    }
    test = statistics.mcnemar_exact(deterministic_correct, mc_correct)
    return {
        "passes": int(passes.shape[0]),
        "n_test": n_test,
        "ece_bins": calibration.ECE_BINS,
        "epsilon": uncertainty.EPSILON,
        "confidence": statistics.CONFIDENCE,
        "deterministic": deterministic_block,
        "mc": mc_block,
        "mcnemar": {
            "deterministic_only_correct": test["first_only_correct"],
            "mc_only_correct": test["second_only_correct"],
            "p_value": test["p_value"],
        },
    }


def _check_paired(passes, deterministic, probabilities_path, predictions_path):
    """Raise ValueError unless both files hold the same samples, labels and classes."""
    if passes["probabilities"].shape[1:] != deterministic["probabilities"].shape:
        raise ValueError(
            f"{probabilities_path} contains passes of shape {passes['probabilities'].shape} but "
            f"{predictions_path} contains {deterministic['probabilities'].shape}; both must "
            "cover the same test samples and classes. Re-run train and mc_dropout."
        )
    if not np.array_equal(passes["y_true"], deterministic["y_true"]):
        raise ValueError(
            f"y_true differs between {probabilities_path} and {predictions_path}; "
            "both must come from the same test subset. Re-run train and mc_dropout."
        )
