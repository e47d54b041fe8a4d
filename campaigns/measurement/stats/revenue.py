"""Revenue per contact: Welch comparisons of means and the holdout uplift (delta method,
BCa bootstrap). A ``RevenueSample`` carries a group's size and its non-zero revenues only."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats
from statsmodels.stats import moment_helpers
from statsmodels.stats._delta_method import NonlinearDeltaCov
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from .rates import _finite

# When the holdout uplift also gets a bootstrap interval (``bootstrap=None``):
# - the holdout is small: fewer than SMALL_HOLDOUT contacts;
# - or revenue is too skewed for the t interval: Cochran's rule (Sampling Techniques, 1977;
#   see Sugden, Smith and Jones, "Cochran's rule for simple random sampling", JRSS B, 2000)
#   wants n > 25 * skewness**2 for the normal approximation of a mean. A fixed
#   bound such as "skewness > 2" would fire on every newsletter: revenue per contact is
#   mostly zeros, whose skewness is 10-100 whatever the size, while what matters for the
#   interval is the skewness against the group size.
# and the materialised arrays stay affordable: scipy's BCa runs a jackknife, which costs
# n**2 per group, so above BOOTSTRAP_MAX_CONTACTS (both groups together, about three
# seconds) the automatic choice skips it; ``bootstrap=True`` runs it whatever the size.
SMALL_HOLDOUT = 1_000
COCHRAN_FACTOR = 25
BOOTSTRAP_MAX_CONTACTS = 20_000
# 2,000 resamples: Efron and Tibshirani (1993) ask for at least 1,000 for BCa limits.
BOOTSTRAP_RESAMPLES = 2_000
# Upper bound on floats held at once by one bootstrap batch (about 32 MB).
BOOTSTRAP_BATCH_FLOATS = 4_000_000


@dataclass(frozen=True, eq=False)
class RevenueSample:
    """Revenue per contact of a group of ``n`` contacts, passed as its non-zero values.

    ``values`` are the revenues of the contacts who bought (refunds may be negative); the
    other ``n - len(values)`` contacts count as zero. Mean and variance are exact.
    Samples compare by identity (``values`` becomes a numpy array).
    """

    n: int
    values: Sequence[float]

    def __post_init__(self):
        values = np.asarray(self.values, dtype=float).reshape(-1)
        if self.n < 0 or len(values) > self.n:
            raise ValueError(
                f"a revenue sample of {self.n} contacts cannot hold {len(values)} revenues"
            )
        if not np.all(np.isfinite(values)):
            raise ValueError("revenues must be finite numbers")
        object.__setattr__(self, "values", values)

    def _described(self) -> DescrStatsW:
        # One weighted row for all the zeros: statsmodels' frequency weights give the same
        # mean, variance and t statistics as the materialised array.
        data = np.append(self.values, 0.0)
        weights = np.append(np.ones(len(self.values)), self.n - len(self.values))
        return DescrStatsW(data, weights=weights, ddof=1)

    @property
    def mean(self) -> float | None:
        return float(self._described().mean) if self.n else None

    @property
    def variance(self) -> float | None:
        """Sample variance (ddof=1); None below two contacts."""
        return float(self._described().var) if self.n >= 2 else None

    def array(self) -> np.ndarray:
        """Every contact's revenue, zeros included (for the bootstrap)."""
        return np.concatenate([self.values, np.zeros(self.n - len(self.values))])


@dataclass(frozen=True)
class MeanComparison:
    """Mean of B minus mean of A, Welch's t-test and its interval."""

    diff: float | None
    low: float | None
    high: float | None
    p_value: float | None
    df: float | None
    significant: bool


def welch(a: RevenueSample, b: RevenueSample, confidence: float = 0.95) -> MeanComparison:
    """B minus A by Welch's t-test (unequal variances, Welch-Satterthwaite df).

    statsmodels' ``CompareMeans`` over two frequency-weighted ``DescrStatsW`` gives the
    p-value, the df and the interval from the same object without materialising the zeros
    (scipy's ``ttest_ind_from_stats`` gives the p-value but neither df nor interval).
    """
    if a.n == 0 or b.n == 0:
        return MeanComparison(None, None, None, None, None, False)
    diff = b.mean - a.mean
    if a.n < 2 or b.n < 2 or (a.variance == 0 and b.variance == 0):
        # No spread to test against: the difference stands, without a test.
        return MeanComparison(diff, None, None, None, None, False)
    compared = CompareMeans(b._described(), a._described())
    _t, p_value, df = compared.ttest_ind(usevar="unequal")
    low, high = compared.tconfint_diff(alpha=1 - confidence, usevar="unequal")
    p_value = _finite(p_value)
    return MeanComparison(
        diff=diff,
        low=_finite(low),
        high=_finite(high),
        p_value=p_value,
        df=_finite(df),
        significant=p_value is not None and p_value < 1 - confidence,
    )


@dataclass(frozen=True)
class Uplift:
    """What a campaign added: treated group against the holdout over the same window.

    ``relative`` is difference / holdout mean (0.12 = +12 %), None when the holdout's mean
    is zero. ``bootstrap_low``/``bootstrap_high`` bound the difference by a BCa bootstrap,
    None when it was not run. ``skewed`` says a group is too small for the skewness of its
    revenue (Cochran's rule): the Welch and delta-method intervals may then be too narrow
    (``bench/stats_coverage.py`` measures by how much), worth a word beside the figures.
    """

    treated_n: int
    holdout_n: int
    treated_mean: float | None
    holdout_mean: float | None
    difference: float | None
    difference_low: float | None
    difference_high: float | None
    p_value: float | None
    significant: bool
    relative: float | None
    relative_low: float | None
    relative_high: float | None
    incremental_revenue: float | None
    incremental_low: float | None
    incremental_high: float | None
    bootstrap_low: float | None
    bootstrap_high: float | None
    skewed: bool
    confidence: float


def _relative_interval(
    treated: RevenueSample, holdout: RevenueSample, confidence: float
) -> tuple[float | None, float | None]:
    """Delta-method interval of treated mean / holdout mean - 1 (independent groups).

    statsmodels' ``NonlinearDeltaCov`` (the delta method behind its ``get_margeff`` and
    nonlinear predictions) does the propagation; the two means are independent, so their
    covariance is diagonal with the squared standard errors.
    """
    params = np.array([treated.mean, holdout.mean])
    cov = np.diag([treated.variance / treated.n, holdout.variance / holdout.n])
    delta = NonlinearDeltaCov(
        lambda p: np.array([p[0] / p[1] - 1]),
        params,
        cov,
        deriv=lambda p: np.array([[1 / p[1], -p[0] / p[1] ** 2]]),
    )
    ((low, high),) = delta.conf_int(alpha=1 - confidence)
    return _finite(low), _finite(high)


def _too_skewed(group: RevenueSample) -> bool:
    """Cochran's rule fails: the group is too small for the skewness of its revenue."""
    if group.n < 3 or not len(group.values):
        return False
    # The raw moments are sums over the buyers alone (the zeros add nothing), statsmodels
    # turns them into the skewness (the same as scipy.stats.skew on the whole array).
    raw_moments = [float(np.sum(group.values**k)) / group.n for k in (1, 2, 3, 4)]
    with np.errstate(divide="ignore", invalid="ignore"):
        skewness = _finite(moment_helpers.mnc2mvsk(raw_moments)[2])
    return skewness is not None and group.n < COCHRAN_FACTOR * skewness**2


def _bootstrap_difference(
    treated: RevenueSample, holdout: RevenueSample, confidence: float, random_state
) -> tuple[float | None, float | None]:
    def difference_of_means(treated_values, holdout_values, axis):
        return treated_values.mean(axis=axis) - holdout_values.mean(axis=axis)

    batch = max(1, BOOTSTRAP_BATCH_FLOATS // max(treated.n, holdout.n))
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        # All-equal data (say, no buyer in either group) has no interval: nan, read as None.
        warnings.simplefilter("ignore", scipy_stats.DegenerateDataWarning)
        result = scipy_stats.bootstrap(
            (treated.array(), holdout.array()),
            difference_of_means,
            vectorized=True,
            method="BCa",
            confidence_level=confidence,
            n_resamples=BOOTSTRAP_RESAMPLES,
            batch=batch,
            rng=random_state,
        )
    return _finite(result.confidence_interval.low), _finite(result.confidence_interval.high)


def holdout_uplift(
    treated: RevenueSample,
    holdout: RevenueSample,
    confidence: float = 0.95,
    bootstrap: bool | None = None,
    random_state=0,
) -> Uplift:
    """Revenue per contact of the treated group against the holdout, zeros included.

    Difference with Welch's interval and p-value, relative uplift with a delta-method
    interval, incremental revenue (difference x treated contacts), and a BCa bootstrap
    interval of the difference when ``bootstrap`` is True, or when None and the holdout is
    small or the revenue too skewed for the t interval (see the module constants).
    """
    compared = welch(holdout, treated, confidence=confidence)
    relative = relative_low = relative_high = None
    if compared.low is not None and holdout.mean:
        relative = treated.mean / holdout.mean - 1
        relative_low, relative_high = _relative_interval(treated, holdout, confidence)
    skewed = _too_skewed(treated) or _too_skewed(holdout)
    if bootstrap is None:
        bootstrap = (holdout.n < SMALL_HOLDOUT or skewed) and (
            treated.n + holdout.n <= BOOTSTRAP_MAX_CONTACTS
        )
    bootstrap_low = bootstrap_high = None
    if bootstrap and treated.n >= 2 and holdout.n >= 2:
        bootstrap_low, bootstrap_high = _bootstrap_difference(
            treated, holdout, confidence, random_state
        )

    def times_treated(value):
        return None if value is None else value * treated.n

    return Uplift(
        treated_n=treated.n,
        holdout_n=holdout.n,
        treated_mean=treated.mean,
        holdout_mean=holdout.mean,
        difference=compared.diff,
        difference_low=compared.low,
        difference_high=compared.high,
        p_value=compared.p_value,
        significant=compared.significant,
        relative=relative,
        relative_low=relative_low,
        relative_high=relative_high,
        incremental_revenue=times_treated(compared.diff),
        incremental_low=times_treated(compared.low),
        incremental_high=times_treated(compared.high),
        bootstrap_low=bootstrap_low,
        bootstrap_high=bootstrap_high,
        skewed=skewed,
        confidence=confidence,
    )


# A/B tests --------------------------------------------------------------------------------
