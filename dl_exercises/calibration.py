"""Calibration and scoring rules of one prediction per test sample.

With q[n, k] the predicted probability of class k for sample n (the
deterministic softmax or the Monte Carlo predictive mean), y[n] the label,
conf[n] = max_k q[n, k] and pred[n] = argmax_k q[n, k]:

    negative log-likelihood  nll[n] = -log(max(q[n, y[n]], EPSILON))
    Brier score              brier[n] = sum_k (q[n, k] - [k == y[n]])**2

The Brier score sums over the classes as Brier (1950) defined it, so it
ranges from 0 to 2. Expected calibration error with M equal-width bins
B_m = ((m - 1) / M, m / M] of the confidence (Guo et al. 2017, "On
calibration of modern neural networks", ICML, who used M = 15):

    ECE = sum_m (|B_m| / N) * |accuracy(B_m) - mean confidence(B_m)|

Logarithms are natural; EPSILON is the clipping bound of the uncertainty
module.
"""

import numpy as np

from dl_exercises.uncertainty import EPSILON

ECE_BINS = 15


def negative_log_likelihood(probabilities, labels):
    """Compute each sample's negative log-likelihood of its label, in nats.

    Args:
        probabilities: (samples, classes) predicted probabilities.
        labels: (samples,) integer labels.

    Returns:
        float64 array (samples,).
    """
    probabilities, labels = _checked_predictions(probabilities, labels)
    chosen = probabilities[np.arange(len(labels)), labels]
    return -np.log(np.clip(chosen, EPSILON, None))


def brier_score(probabilities, labels):
    """Compute each sample's Brier score sum_k (q[k] - one_hot(y)[k])**2.

    Returns:
        float64 array (samples,), from 0 to 2.
    """
    probabilities, labels = _checked_predictions(probabilities, labels)
    one_hot = np.zeros_like(probabilities)
    one_hot[np.arange(len(labels)), labels] = 1.0
    return np.sum((probabilities - one_hot) ** 2, axis=1)


def reliability_bins(probabilities, labels, bins=ECE_BINS):
    """Group the samples into equal-width confidence bins.

    A confidence c falls into bin m (0-based) with m / bins < c <= (m + 1) / bins;
    a confidence of exactly 0 falls into the first bin.

    Returns:
        dict of lists, one entry per bin: `lower`, `upper` (bin edges),
        `count`, `accuracy` and `confidence` (means over the bin's samples,
        None for an empty bin).
    """
    probabilities, labels = _checked_predictions(probabilities, labels)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    index = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)

    table = {"lower": [], "upper": [], "count": [], "accuracy": [], "confidence": []}
    for m in range(bins):
        members = index == m
        count = int(members.sum())
        table["lower"].append(m / bins)
        table["upper"].append((m + 1) / bins)
        table["count"].append(count)
        table["accuracy"].append(float(correct[members].mean()) if count else None)
        table["confidence"].append(float(confidence[members].mean()) if count else None)
    return table


def expected_calibration_error(probabilities, labels, bins=ECE_BINS):
    """Compute the expected calibration error over `bins` equal-width bins.

    Returns:
        The ECE as a Python float, from 0 to 1.
    """
    table = reliability_bins(probabilities, labels, bins)
    total = sum(table["count"])
    error = 0.0
    for count, accuracy, confidence in zip(table["count"], table["accuracy"], table["confidence"]):
        if count:
            error += count / total * abs(accuracy - confidence)
    return float(error)


def _checked_predictions(probabilities, labels):
    """Return float64 probabilities and int64 labels after checking shapes and range."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if probabilities.ndim != 2 or probabilities.shape[0] == 0:
        raise ValueError(
            f"probabilities have shape {probabilities.shape}, expected "
            "(samples, classes) with at least one sample."
        )
    if labels.shape != probabilities.shape[:1]:
        raise ValueError(
            f"labels have shape {labels.shape}, expected ({probabilities.shape[0]},): "
            "one label per row of the probabilities."
        )
    if labels.min() < 0 or labels.max() >= probabilities.shape[1]:
        raise ValueError(
            f"labels range from {labels.min()} to {labels.max()}, expected 0 to "
            f"{probabilities.shape[1] - 1}."
        )
    if not np.isfinite(probabilities).all():
        raise ValueError("probabilities contain NaN or infinite values; check the model's outputs.")
    return probabilities, labels
