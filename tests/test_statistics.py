"""Tests of the Wilson interval, McNemar's exact test and the across-seed summary."""

import math

import pytest
from scipy import stats

from dl_exercises.statistics import (
    accuracy_interval,
    mcnemar_exact,
    seed_summary,
    wilson_interval,
)


def test_wilson_interval_hand_computed():
    # 8 of 10, z = 1.959964: centre (0.8 + 0.192073) / 1.384146 = 0.716740,
    # half 1.415998 * sqrt(0.016 + 0.009604) = 0.226583.
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.490162, abs=1e-6)
    assert high == pytest.approx(0.943318, abs=1e-6)


@pytest.mark.parametrize("successes, trials", [(0, 5), (5, 5), (37, 200), (499, 500)])
def test_wilson_interval_matches_scipy(successes, trials):
    expected = stats.binomtest(successes, trials).proportion_ci(0.95, method="wilson")
    low, high = wilson_interval(successes, trials)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)
    assert 0.0 <= low <= successes / trials <= high <= 1.0


def test_accuracy_interval_recovers_count():
    assert accuracy_interval(0.8, 10) == wilson_interval(8, 10)


@pytest.mark.parametrize("successes, trials", [(1, 0), (-1, 5), (6, 5)])
def test_wilson_interval_rejects_invalid_counts(successes, trials):
    with pytest.raises(ValueError, match="trials|successes"):
        wilson_interval(successes, trials)


def test_mcnemar_hand_computed():
    # b = 1 (first only), c = 4 (second only). P[X <= 1], X ~ Bin(5, 0.5)
    # = (1 + 5) / 32 = 0.1875; two-sided p = 0.375.
    first = [True, True, False, False, False, False, True]
    second = [False, True, True, True, True, True, True]
    result = mcnemar_exact(first, second)
    assert result["first_only_correct"] == 1
    assert result["second_only_correct"] == 4
    assert result["p_value"] == pytest.approx(0.375)


def test_mcnemar_no_discordant_pairs():
    result = mcnemar_exact([True, False], [True, False])
    assert result == {"first_only_correct": 0, "second_only_correct": 0, "p_value": 1.0}


def test_mcnemar_balanced_discordance_caps_at_one():
    # b = c = 2: 2 * P[X <= 2], X ~ Bin(4, 0.5) = 2 * 11/16 > 1, so p = 1.
    result = mcnemar_exact([True, True, False, False], [False, False, True, True])
    assert result["p_value"] == 1.0


def test_mcnemar_rejects_unpaired():
    with pytest.raises(ValueError, match="one entry per test sample"):
        mcnemar_exact([True], [True, False])


def test_seed_summary_hand_computed():
    # Values 0.8, 0.9, 0.85: mean 0.85, sd 0.05, t(0.975, 2) = 4.302653,
    # half width 4.302653 * 0.05 / sqrt(3) = 0.124207.
    summary = seed_summary([0.8, 0.9, 0.85])
    assert summary["n"] == 3
    assert summary["mean"] == pytest.approx(0.85)
    assert summary["std"] == pytest.approx(0.05)
    low, high = summary["t_interval"]
    assert low == pytest.approx(0.85 - 0.124207, abs=1e-6)
    assert high == pytest.approx(0.85 + 0.124207, abs=1e-6)


def test_seed_summary_two_seeds():
    # sd of (0.1, 0.3) = 0.141421; t(0.975, 1) = 12.706205.
    summary = seed_summary([0.1, 0.3])
    half = 12.706205 * 0.141421356 / math.sqrt(2)
    assert summary["t_interval"] == pytest.approx([0.2 - half, 0.2 + half], abs=1e-5)


def test_seed_summary_single_seed_has_no_spread():
    assert seed_summary([0.7]) == {"n": 1, "mean": 0.7, "std": None, "t_interval": None}


def test_seed_summary_rejects_empty():
    with pytest.raises(ValueError, match="at least one seed"):
        seed_summary([])
