"""Confidence intervals and a paired test for accuracies.

- Wilson score interval of a binomial proportion (Wilson 1927, "Probable
  inference, the law of succession, and statistical inference", JASA 22).
- McNemar's exact test of two classifiers on the same test samples: under
  the null hypothesis the discordant samples (one classifier right, the
  other wrong) split 50:50, so the smaller discordant count is binomial
  with n = all discordant samples and p = 0.5 (McNemar 1947).
- Student's t interval of a mean across seeds.
"""

import math

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


def wilson_interval(successes, trials, confidence=CONFIDENCE):
    """Compute the Wilson score interval of `successes` out of `trials`.

    With p = successes / trials, n = trials and z the two-sided normal
    quantile of `confidence`:

        centre = (p + z**2 / (2 n)) / (1 + z**2 / n)
        half   = z / (1 + z**2 / n) * sqrt(p (1 - p) / n + z**2 / (4 n**2))

    Returns:
        (low, high) as Python floats, inside [0, 1].

    Raises:
        ValueError: trials is below 1 or successes is outside 0..trials.
    """
    if trials < 1:
        raise ValueError(f"trials is {trials}; a Wilson interval needs at least 1 trial.")
    if not 0 <= successes <= trials:
        raise ValueError(
            f"successes is {successes}, expected a count from 0 to trials={trials}."
        )
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = successes / trials
    denominator = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2))
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))


def accuracy_interval(accuracy, n_test, confidence=CONFIDENCE):
    """Compute the Wilson interval of an accuracy measured on `n_test` samples.

    The count of correct samples is recovered as round(accuracy * n_test).
    """
    return wilson_interval(int(round(accuracy * n_test)), n_test, confidence)


def mcnemar_exact(correct_first, correct_second):
    """Run McNemar's exact test on two paired vectors of correct predictions.

    Args:
        correct_first, correct_second: boolean arrays (samples,), True where
            each classifier predicted the label.

    Returns:
        dict with `first_only_correct` (b), `second_only_correct` (c) and
        the two-sided `p_value` = min(1, 2 * P[X <= min(b, c)]) with
        X ~ Binomial(b + c, 0.5); 1.0 when b + c = 0.

    Raises:
        ValueError: the vectors differ in shape.
    """
    first = np.asarray(correct_first, dtype=bool)
    second = np.asarray(correct_second, dtype=bool)
    if first.shape != second.shape:
        raise ValueError(
            f"paired vectors have shapes {first.shape} and {second.shape}; "
            "both must hold one entry per test sample."
        )
    first_only = int(np.sum(first & ~second))
    second_only = int(np.sum(~first & second))
    discordant = first_only + second_only
    if discordant == 0:
        p_value = 1.0
    else:
        tail = stats.binom.cdf(min(first_only, second_only), discordant, 0.5)
        p_value = float(min(1.0, 2 * tail))
    return {
        "first_only_correct": first_only,
        "second_only_correct": second_only,
        "p_value": p_value,
    }


def seed_summary(values, confidence=CONFIDENCE):
    """Summarise one question's values across seeds.

    Returns:
        dict with `n`, `mean`, `std` (sample standard deviation, ddof=1) and
        `t_interval` (mean -/+ t * std / sqrt(n), t the two-sided Student's t
        quantile with n - 1 degrees of freedom). `std` and `t_interval` are
        None with a single seed.

    Raises:
        ValueError: `values` is empty.
    """
    array = np.asarray(list(values), dtype=np.float64)
    if array.size == 0:
        raise ValueError("no values to summarise; pass at least one seed's value.")
    mean = float(array.mean())
    if array.size == 1:
        return {"n": 1, "mean": mean, "std": None, "t_interval": None}
    std = float(array.std(ddof=1))
    t = stats.t.ppf(0.5 + confidence / 2, array.size - 1)
    half = float(t) * std / math.sqrt(array.size)
    return {"n": int(array.size), "mean": mean, "std": std, "t_interval": [mean - half, mean + half]}
