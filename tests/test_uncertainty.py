"""Tests of the Monte Carlo dropout uncertainty measures against hand-computed values."""

import numpy as np
import pytest

from dl_exercises.uncertainty import (
    EPSILON,
    entropy,
    expected_entropy,
    mean_predictive_variance,
    mutual_information,
    per_sample_variance,
    predictive_entropy,
    predictive_mean,
    variation_ratio,
)

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


# Hand-computed values of HAND_PROBABILITIES, natural logarithms.
# Sample 0: pbar = (0.8, 0.2), H = -(0.8 ln 0.8 + 0.2 ln 0.2) = 0.500402.
#   Pass entropies: H(0.9, 0.1) = 0.325083, H(0.7, 0.3) = 0.610864; mean 0.467973.
#   MI = 0.500402 - 0.467973 = 0.032429. Both passes predict class 0: ratio 0.
# Sample 1: pbar = (0.4, 0.6), H = 0.673012. Pass entropies: H(0.6, 0.4) =
#   0.673012, H(0.2, 0.8) = 0.500402; mean 0.586707. MI = 0.086305.
#   The passes predict classes 0 and 1: variation ratio 1 - 1/2 = 0.5.
HAND_PREDICTIVE_ENTROPY = [0.500402, 0.673012]
HAND_EXPECTED_ENTROPY = [0.467973, 0.586707]
HAND_MUTUAL_INFORMATION = [0.032429, 0.086305]
HAND_VARIATION_RATIO = [0.0, 0.5]


def test_predictive_mean_hand_computed():
    np.testing.assert_allclose(predictive_mean(HAND_PROBABILITIES), [[0.8, 0.2], [0.4, 0.6]], rtol=1e-6)


def test_entropies_hand_computed():
    np.testing.assert_allclose(predictive_entropy(HAND_PROBABILITIES), HAND_PREDICTIVE_ENTROPY, atol=1e-6)
    np.testing.assert_allclose(expected_entropy(HAND_PROBABILITIES), HAND_EXPECTED_ENTROPY, atol=1e-6)


def test_mutual_information_hand_computed():
    np.testing.assert_allclose(mutual_information(HAND_PROBABILITIES), HAND_MUTUAL_INFORMATION, atol=1e-6)


def test_variation_ratio_hand_computed():
    np.testing.assert_allclose(variation_ratio(HAND_PROBABILITIES), HAND_VARIATION_RATIO)


def test_variation_ratio_three_passes_three_classes():
    # Passes predict 2, 2, 0: the mode (class 2) has 2 of 3 passes, ratio 1/3.
    probabilities = np.array([[[0.1, 0.2, 0.7]], [[0.2, 0.1, 0.7]], [[0.6, 0.3, 0.1]]])
    assert variation_ratio(probabilities) == pytest.approx([1 / 3])


def test_one_hot_passes_have_zero_uncertainty():
    # Every pass puts probability 1 on class 2: the entropy terms must be
    # exactly 0, not NaN from 0 * log(0).
    probabilities = np.zeros((5, 1, 4))
    probabilities[:, 0, 2] = 1.0
    assert predictive_entropy(probabilities)[0] == 0.0
    assert expected_entropy(probabilities)[0] == 0.0
    assert mutual_information(probabilities)[0] == 0.0
    assert variation_ratio(probabilities)[0] == 0.0
    assert per_sample_variance(probabilities)[0] == 0.0


def test_disagreeing_one_hot_passes_have_maximal_information():
    # Two passes, each certain, of different classes: expected entropy 0,
    # predictive entropy ln 2, so all of it is mutual information.
    probabilities = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    assert expected_entropy(probabilities)[0] == 0.0
    assert predictive_entropy(probabilities)[0] == pytest.approx(np.log(2))
    assert mutual_information(probabilities)[0] == pytest.approx(np.log(2))
    assert variation_ratio(probabilities)[0] == 0.5
    # Each class has values 1 and 0: variance 0.25; mean over 2 classes 0.25.
    assert per_sample_variance(probabilities)[0] == pytest.approx(0.25)


def test_uniform_passes_have_maximal_entropy_no_information():
    probabilities = np.full((4, 3, 10), 0.1)
    np.testing.assert_allclose(predictive_entropy(probabilities), np.log(10))
    np.testing.assert_allclose(expected_entropy(probabilities), np.log(10))
    np.testing.assert_allclose(mutual_information(probabilities), 0.0, atol=1e-12)
    assert (mutual_information(probabilities) >= 0).all()


def test_single_pass_has_no_information():
    probabilities = HAND_PROBABILITIES[:1]
    np.testing.assert_allclose(mutual_information(probabilities), [0.0, 0.0], atol=1e-12)
    np.testing.assert_array_equal(variation_ratio(probabilities), [0.0, 0.0])
    np.testing.assert_allclose(
        predictive_entropy(probabilities), expected_entropy(probabilities), atol=1e-12
    )


def test_entropy_clips_zero_probabilities():
    assert entropy([0.0, 1.0]) == 0.0
    assert entropy([0.5, 0.5, 0.0]) == pytest.approx(np.log(2))
    assert EPSILON == 1e-12
