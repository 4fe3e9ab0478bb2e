"""Tests of the Monte Carlo dropout uncertainty measures (question 6.3)."""

import numpy as np
import pytest

from dl_exercises.uncertainty import mean_predictive_variance, per_sample_variance

# 2 passes, 2 samples, 2 classes, indexed [pass, sample, class].
HAND_PROBABILITIES = np.array(
    [
        [[0.9, 0.1], [0.6, 0.4]],
        [[0.7, 0.3], [0.2, 0.8]],
    ],
    dtype=np.float32,
)
# Sample 0: class 0 contains 0.9 and 0.7, mean 0.8, population variance
# (0.1**2 + 0.1**2) / 2 = 0.01; class 1 contains 0.1 and 0.3, variance 0.01.
# Mean over classes: 0.01.
# Sample 1: class 0 contains 0.6 and 0.2, mean 0.4, variance
# (0.2**2 + 0.2**2) / 2 = 0.04; class 1 contains 0.4 and 0.8, variance 0.04.
# Mean over classes: 0.04.
# Mean over samples: (0.01 + 0.04) / 2 = 0.025. With ddof=1 it would be 0.05.
HAND_PER_SAMPLE = [0.01, 0.04]
HAND_MEAN = 0.025


def test_per_sample_variance_hand_computed():
    variance = per_sample_variance(HAND_PROBABILITIES)
    assert variance.shape == (2,)
    np.testing.assert_allclose(variance, HAND_PER_SAMPLE, rtol=1e-6)


def test_mean_predictive_variance_hand_computed():
    value = mean_predictive_variance(HAND_PROBABILITIES)
    assert isinstance(value, float)
    assert value == pytest.approx(HAND_MEAN, rel=1e-6)


def test_mean_predictive_variance_three_classes():
    # One sample, 3 passes, 3 classes. Class 0 contains 0.2, 0.5, 0.8: mean 0.5,
    # variance (0.09 + 0 + 0.09) / 3 = 0.06. Class 1 contains 0.8, 0.5, 0.2: 0.06.
    # Class 2 contains 0 three times: 0. Mean over classes: 0.12 / 3 = 0.04.
    probabilities = np.array([[[0.2, 0.8, 0.0]], [[0.5, 0.5, 0.0]], [[0.8, 0.2, 0.0]]])
    assert mean_predictive_variance(probabilities) == pytest.approx(0.04)


def test_single_pass_gives_zero():
    probabilities = HAND_PROBABILITIES[:1]
    np.testing.assert_array_equal(per_sample_variance(probabilities), [0.0, 0.0])
    assert mean_predictive_variance(probabilities) == 0.0


def test_identical_passes_give_zero():
    probabilities = np.repeat(HAND_PROBABILITIES[:1], 20, axis=0)
    assert probabilities.shape == (20, 2, 2)
    assert mean_predictive_variance(probabilities) == 0.0


@pytest.mark.parametrize(
    "probabilities, message",
    [
        (np.zeros((2, 2)), "expected 3 dimensions"),
        (np.zeros((2, 2, 2, 2)), "expected 3 dimensions"),
        (np.zeros((0, 2, 2)), "at least one pass"),
        (np.array([[[0.5, np.nan]]]), "1 NaN or infinite"),
        (np.array([[[0.5, np.inf]], [[0.5, 0.5]]]), "1 NaN or infinite"),
    ],
)
def test_invalid_probabilities_raise(probabilities, message):
    with pytest.raises(ValueError, match=message):
        mean_predictive_variance(probabilities)
