"""Rates with intervals, two-proportion comparisons, the sample-ratio check, and the
Benjamini-Hochberg correction."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)

# test, and a false alarm would throw away a sound test, so it only speaks up when the
# split is very unlikely to be chance.
SRM_ALPHA = 0.001

# Two-proportion test and interval: Agresti-Caffo for both. It is statsmodels' default for
# the test, Fagerland, Lydersen and Laake (2015, cited by statsmodels) recommend it as the
# simple interval for a difference, and test and interval are the same Wald statistic on
# the adjusted counts, so "significant" and "the interval excludes zero" always agree
# (statsmodels' default interval, newcomb, can disagree with the test near the edge, which
# reads as a contradiction in a verdict). The score (Miettinen-Nurminen) interval would be
# the other candidate, but statsmodels 0.15 finds it by root-finding from a bracket that
# misses the root for some unequal arm sizes (ValueError from brentq, e.g. 115/1882
# against 5/145).
PROPORTIONS_METHOD = "agresti-caffo"


def _finite(value) -> float | None:
    """A plain float, or None for nan/inf (what statsmodels returns for degenerate data)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# Rates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """A share of trials (``value`` between 0 and 1) with its Wilson interval."""

    successes: int
    trials: int
    value: float | None
    low: float | None
    high: float | None


def rate(successes: int, trials: int, confidence: float = 0.95) -> Rate:
    """The rate successes / trials with its Wilson score interval; None values for 0 trials."""
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"a rate needs 0 <= successes <= trials, got {successes}/{trials}")
    if trials == 0:
        return Rate(successes, trials, None, None, None)
    low, high = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
    return Rate(successes, trials, successes / trials, float(low), float(high))


@dataclass(frozen=True)
class RateComparison:
    """Rate of B minus rate of A, with its interval and the two-proportion test's p-value."""

    diff: float | None
    low: float | None
    high: float | None
    p_value: float | None
    significant: bool


def compare_rates(
    a: tuple[int, int], b: tuple[int, int], confidence: float = 0.95
) -> RateComparison:
    """B minus A for two (successes, trials) pairs: Agresti-Caffo test and interval."""
    rate(*a), rate(*b)  # validates both pairs
    (a_successes, a_trials), (b_successes, b_trials) = a, b
    if a_trials == 0 or b_trials == 0:
        return RateComparison(None, None, None, None, False)
    diff = b_successes / b_trials - a_successes / a_trials
    # statsmodels also works out the ratio and odds ratio of the counts, which divide by
    # zero when an arm has no success (or no failure); the difference is unaffected.
    with np.errstate(divide="ignore", invalid="ignore"):
        test = test_proportions_2indep(
            b_successes, b_trials, a_successes, a_trials, method=PROPORTIONS_METHOD
        )
        low, high = confint_proportions_2indep(
            b_successes,
            b_trials,
            a_successes,
            a_trials,
            method=PROPORTIONS_METHOD,
            alpha=1 - confidence,
        )
    p_value = _finite(test.pvalue)
    return RateComparison(
        diff=diff,
        # The adjusted counts can carry a bound past +-1, which no difference of rates reaches.
        low=max(-1.0, float(low)),
        high=min(1.0, float(high)),
        p_value=p_value,
        significant=p_value is not None and p_value < 1 - confidence,
    )


# Revenue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SRM:
    """Sample-ratio-mismatch check: do the arms' sizes fit the planned split?"""

    observed: dict[str, int]
    expected: dict[str, float]
    statistic: float | None
    p_value: float | None
    mismatch: bool


def sample_ratio_mismatch(observed: Mapping[str, int], planned_shares: Mapping[str, float]) -> SRM:
    """Chi-square goodness of fit of the observed arm sizes to the planned shares."""
    if set(observed) != set(planned_shares):
        raise ValueError(
            f"observed arms {sorted(observed)} differ from planned arms {sorted(planned_shares)}"
        )
    if any(share <= 0 for share in planned_shares.values()):
        raise ValueError("every planned share must be positive")
    arms = sorted(observed)
    total = sum(observed[arm] for arm in arms)
    share_total = sum(planned_shares[arm] for arm in arms)
    expected = {arm: total * planned_shares[arm] / share_total for arm in arms}
    if total == 0 or len(arms) < 2:
        return SRM(dict(observed), expected, None, None, False)
    result = scipy_stats.chisquare([observed[arm] for arm in arms], [expected[arm] for arm in arms])
    p_value = _finite(result.pvalue)
    return SRM(
        observed=dict(observed),
        expected=expected,
        statistic=_finite(result.statistic),
        p_value=p_value,
        mismatch=p_value is not None and p_value < SRM_ALPHA,
    )


def adjust_p_values(
    p_values: Mapping[str, float], alpha: float = 0.05
) -> dict[str, tuple[float, bool]]:
    """Benjamini-Hochberg: adjusted p-value and whether to reject, per key."""
    if not p_values:
        return {}
    keys = list(p_values)
    reject, adjusted, _sidak, _bonferroni = multipletests(
        [p_values[key] for key in keys], alpha=alpha, method="fdr_bh"
    )
    return {key: (float(p), bool(r)) for key, p, r in zip(keys, adjusted, reject, strict=True)}
