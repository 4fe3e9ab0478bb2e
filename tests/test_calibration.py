"""Tests of calibration and scoring rules against hand-computed values."""

import numpy as np
import pytest

from dl_exercises.calibration import (
    ECE_BINS,
    brier_score,
    expected_calibration_error,
    negative_log_likelihood,
    reliability_bins,
)

# Three samples, two classes. Confidences 0.9, 0.6, 0.7; predictions 0, 1, 0.
PROBABILITIES = np.array([[0.9, 0.1], [0.4, 0.6], [0.7, 0.3]])
LABELS = np.array([0, 0, 0])


def test_negative_log_likelihood_hand_computed():
    # -ln 0.9, -ln 0.4, -ln 0.7.
    expected = [0.1053605, 0.9162907, 0.3566749]
    np.testing.assert_allclose(negative_log_likelihood(PROBABILITIES, LABELS), expected, rtol=1e-6)


def test_brier_score_hand_computed():
    # (0.9-1)^2 + 0.1^2 = 0.02; (0.4-1)^2 + 0.6^2 = 0.72; (0.7-1)^2 + 0.3^2 = 0.18.
    np.testing.assert_allclose(brier_score(PROBABILITIES, LABELS), [0.02, 0.72, 0.18])


def test_ece_hand_computed():
    # 15 bins of width 1/15. 0.9 falls in (13/15, 14/15] = bin 13, correct.
    # 0.6 falls in (8/15, 9/15] = bin 8, wrong. 0.7 falls in (10/15, 11/15]
    # = bin 10, correct. ECE = (|1-0.9| + |0-0.6| + |1-0.7|) / 3 = 1/3.
    assert expected_calibration_error(PROBABILITIES, LABELS) == pytest.approx(1 / 3)
    bins = reliability_bins(PROBABILITIES, LABELS)
    assert ECE_BINS == 15
    assert len(bins["count"]) == 15
    assert [index for index, count in enumerate(bins["count"]) if count] == [8, 10, 13]
    assert bins["accuracy"][8] == 0.0
    assert bins["confidence"][13] == pytest.approx(0.9)
    assert bins["accuracy"][0] is None


def test_ece_bin_edge_goes_to_lower_bin():
    # A confidence of exactly 2/3 = 10/15 belongs to (9/15, 10/15], bin 9.
    probabilities = np.array([[2 / 3, 1 / 3]])
    bins = reliability_bins(probabilities, [0])
    assert bins["count"][9] == 1


def test_one_hot_correct_prediction_scores_zero():
    probabilities = np.eye(3)
    labels = [0, 1, 2]
    np.testing.assert_array_equal(negative_log_likelihood(probabilities, labels), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(brier_score(probabilities, labels), [0.0, 0.0, 0.0])
    assert expected_calibration_error(probabilities, labels) == 0.0


def test_one_hot_wrong_prediction_is_clipped():
    # The label's probability is 0: the log is clipped at 1e-12, -ln(1e-12) = 27.631.
    probabilities = np.array([[1.0, 0.0]])
    assert negative_log_likelihood(probabilities, [1])[0] == pytest.approx(27.631021)
    assert brier_score(probabilities, [1])[0] == 2.0
    assert expected_calibration_error(probabilities, [1]) == 1.0


def test_uniform_prediction_scores():
    # Uniform over 10 classes: NLL ln 10, Brier 0.81 + 9 * 0.01 = 0.9.
    # Confidence 0.1 in bin 1 ((1/15, 2/15]); argmax is class 0.
    probabilities = np.full((4, 10), 0.1)
    labels = [0, 3, 5, 9]
    np.testing.assert_allclose(negative_log_likelihood(probabilities, labels), np.log(10))
    np.testing.assert_allclose(brier_score(probabilities, labels), 0.9)
    # Accuracy 1/4 in that bin, confidence 0.1: ECE = 0.15.
    assert expected_calibration_error(probabilities, labels) == pytest.approx(0.15)


@pytest.mark.parametrize(
    "probabilities, labels, message",
    [
        (np.zeros((2, 2, 2)), [0, 1], "expected \\(samples, classes\\)"),
        (np.full((2, 2), 0.5), [0], "one label per row"),
        (np.full((2, 2), 0.5), [0, 2], "expected 0 to 1"),
        (np.array([[np.nan, 0.5]]), [0], "NaN"),
    ],
)
def test_invalid_predictions_raise(probabilities, labels, message):
    with pytest.raises(ValueError, match=message):
        brier_score(probabilities, labels)
