"""Uncertainty measures of Monte Carlo dropout predictions.

With p[t, n, k] the softmax probability of class k for test sample n in
stochastic forward pass t (T passes, N samples, K classes):

    per-sample variance  v[n] = (1 / K) * sum_k Var_t(p[t, n, k])
    mean predictive variance = (1 / N) * sum_n v[n]

where Var_t is the population variance across the passes (ddof=0):
Var_t(x) = (1 / T) * sum_t (x[t] - mean_t(x))**2. The mean predictive
variance is the average epistemic uncertainty of the test subset.
"""

import numpy as np


def per_sample_variance(probabilities):
    """Compute each sample's variance across passes, averaged over classes.

    Args:
        probabilities: softmax outputs, shape (passes, samples, classes).

    Returns:
        float64 array of shape (samples,): v[n] = mean_k Var_t(p[t, n, k]),
        with the population variance (ddof=0) across the passes.

    Raises:
        ValueError: the array is not 3-D, is empty or contains NaN or infinity.
    """
    probabilities = _checked_probabilities(probabilities)
    variance = probabilities.var(axis=0, ddof=0)
    return variance.mean(axis=1)


def mean_predictive_variance(probabilities):
    """Compute the mean over samples of `per_sample_variance`.

    Args:
        probabilities: softmax outputs, shape (passes, samples, classes).

    Returns:
        The mean predictive variance as a Python float.

    Raises:
        ValueError: as `per_sample_variance`.
    """
    return float(per_sample_variance(probabilities).mean())


def _checked_probabilities(probabilities):
    """Return `probabilities` as float64 after checking rank, size and values."""
    array = np.asarray(probabilities, dtype=np.float64)
    if array.ndim != 3:
        raise ValueError(
            f"probabilities have shape {array.shape}, expected 3 dimensions "
            "(passes, samples, classes); stack the passes along the first axis."
        )
    if array.size == 0:
        raise ValueError(
            f"probabilities have shape {array.shape}, expected at least one "
            "pass, one sample and one class."
        )
    if not np.isfinite(array).all():
        count = int(np.size(array) - np.isfinite(array).sum())
        raise ValueError(
            f"probabilities contain {count} NaN or infinite values; "
            "check the model's outputs before computing the variance."
        )
    return array
