"""Uncertainty measures of Monte Carlo dropout predictions, and their files.

With p[t, n, k] the softmax probability of class k for test sample n in
stochastic forward pass t (T passes, N samples, K classes), y[n] the label
and pbar[n, k] = (1 / T) * sum_t p[t, n, k] the predictive mean. Monte
Carlo dropout approximates the predictive distribution of a Bayesian
network by pbar, the average of T passes with dropout on (Gal & Ghahramani
2016, "Dropout as a Bayesian approximation: representing model uncertainty
in deep learning", ICML).

    per-sample variance  v[n] = (1 / K) * sum_k Var_t(p[t, n, k])
    mean predictive variance = (1 / N) * sum_n v[n]

where Var_t is the population variance across the passes (ddof=0):
Var_t(x) = (1 / T) * sum_t (x[t] - mean_t(x))**2. Var_t(p[t, n, k]) is the
k-th diagonal entry of the epistemic term (1 / T) * sum_t (p_t - pbar)
(p_t - pbar)^T of Kwon et al. 2020 ("Uncertainty quantification using
Bayesian neural networks in classification: application to biomedical
image segmentation", Computational Statistics & Data Analysis 142), so v[n]
is the mean of that matrix's diagonal. The mean predictive variance is
question 6.3's average epistemic uncertainty.

Every logarithm is natural (nats). Before a logarithm each probability is
clipped to at least EPSILON, so a probability of exactly 0 adds 0 to an
entropy and at most -log(EPSILON) = 27.6 nats to a negative log-likelihood.
"""

import numpy as np

# Lower bound of every probability passed to a logarithm.
EPSILON = 1e-12


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


def predictive_mean(probabilities):
    """Compute pbar[n, k] = (1 / T) * sum_t p[t, n, k], shape (samples, classes)."""
    return _checked_probabilities(probabilities).mean(axis=0)


def entropy(probabilities):
    """Compute the entropy -sum_k q[k] * log(max(q[k], EPSILON)) along the last axis.

    Args:
        probabilities: one or more distributions over the classes, last
            axis the classes.

    Returns:
        float64 array with the last axis removed, in nats.
    """
    array = np.asarray(probabilities, dtype=np.float64)
    return -np.sum(array * np.log(np.clip(array, EPSILON, None)), axis=-1)


def predictive_entropy(probabilities):
    """Compute H[n] = entropy(pbar[n]), the total uncertainty of each sample.

    Args:
        probabilities: softmax outputs, shape (passes, samples, classes).

    Returns:
        float64 array (samples,), in nats, from 0 to log(classes).
    """
    return entropy(predictive_mean(probabilities))


def expected_entropy(probabilities):
    """Compute E[n] = (1 / T) * sum_t entropy(p[t, n]), the aleatoric part.

    Returns:
        float64 array (samples,), in nats.
    """
    return entropy(_checked_probabilities(probabilities)).mean(axis=0)


def mutual_information(probabilities):
    """Compute the BALD mutual information I[n] = H[n] - E[n] of each sample.

    The mutual information between the prediction and the model parameters,
    estimated with the passes as parameter samples (Houlsby et al. 2011,
    "Bayesian active learning for classification and preference learning",
    arXiv:1112.5745): the predictive entropy minus the expected entropy.
    It is 0 when every pass gives the same distribution and at most
    log(classes). H >= E holds exactly (entropy is concave); negative
    rounding residues are set to 0.

    Returns:
        float64 array (samples,), in nats.
    """
    difference = predictive_entropy(probabilities) - expected_entropy(probabilities)
    return np.maximum(difference, 0.0)


def variation_ratio(probabilities):
    """Compute the variation ratio 1 - f[n] / T of the passes' predicted classes.

    f[n] is the number of passes whose argmax is the most frequent class of
    sample n. The ratio is 0 when every pass predicts the same class and at
    most 1 - 1 / min(T, classes).

    Returns:
        float64 array (samples,).
    """
    array = _checked_probabilities(probabilities)
    passes, samples, classes = array.shape
    predicted = array.argmax(axis=2)
    counts = np.zeros((samples, classes), dtype=np.int64)
    np.add.at(counts, (np.broadcast_to(np.arange(samples), predicted.shape), predicted), 1)
    return 1.0 - counts.max(axis=1) / passes


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
