"""The statistics of campaign measurement: holdout uplift, A/B comparisons, surveys.

Pure functions over counts and revenue figures, frozen dataclasses out. Every test,
interval and correction comes from scipy or statsmodels; the two closed forms that no
library offers (inverting Cohen's h, the standard error of the NPS) are named where used.
Nothing here reads the database: callers (selectors, services) count and sum, this module
judges. Revenue per contact travels as a ``RevenueSample`` (group size and the non-zero
revenues), so a million recipients with a few hundred buyers never become a million floats,
except for the bootstrap, which is only run on groups small enough to afford it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from django.utils.translation import gettext as _
from scipy import stats as scipy_stats
from statsmodels.stats import moment_helpers
from statsmodels.stats._delta_method import NonlinearDeltaCov
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

# The sample-ratio-mismatch check flags a split at p < 0.001, not 0.05: it runs on every
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


@dataclass(frozen=True)
class ArmFigures:
    """What one arm of an A/B test measured."""

    recipients: int
    clicks: int
    opens: int
    revenue: RevenueSample


@dataclass(frozen=True)
class ArmResult:
    """One arm's figures and, for a challenger, its comparisons with the control.

    ``p_value`` is the raw p-value on the chosen metric, ``adjusted_p_value`` the one after
    the Benjamini-Hochberg correction (equal to it with a single challenger), and
    ``significant`` is judged on the adjusted one.
    """

    arm: str
    recipients: int
    click_rate: Rate
    open_rate: Rate
    revenue_per_recipient: float | None
    clicks_vs_control: RateComparison | None
    opens_vs_control: RateComparison | None
    revenue_vs_control: MeanComparison | None
    p_value: float | None
    adjusted_p_value: float | None
    significant: bool


@dataclass(frozen=True)
class ABSummary:
    """Every arm against the control (the first arm by name), the split check, the winner."""

    metric: str
    control: str
    alpha: float
    arms: dict[str, ArmResult]
    corrected: bool
    srm: SRM
    winner: str | None
    verdicts: list[str]


Metric = Literal["click_rate", "revenue"]


def _signed(value: float, digits: int) -> str:
    return f"{value:+.{digits}f}"


def _verdict(arm: ArmResult, metric: Metric, alpha: float, corrected: bool) -> str:
    compared = arm.clicks_vs_control if metric == "click_rate" else arm.revenue_vs_control
    if compared is None or compared.diff is None or compared.low is None:
        return _("Arm %(arm)s: not enough data to compare yet") % {"arm": arm.arm}
    if metric == "click_rate":
        template = _(
            "Arm %(arm)s: %(difference)s points click rate, "
            "%(level)s%% interval %(low)s to %(high)s, %(verdict)s"
        )
        scale, digits = 100, 1
    else:
        template = _(
            "Arm %(arm)s: %(difference)s revenue per recipient, "
            "%(level)s%% interval %(low)s to %(high)s, %(verdict)s"
        )
        scale, digits = 1, 2
    if corrected:
        verdict = (
            _("significant after correction")
            if arm.significant
            else _("not significant after correction")
        )
    else:
        verdict = _("significant") if arm.significant else _("not significant")
    return template % {
        "arm": arm.arm,
        "difference": _signed(compared.diff * scale, digits),
        "level": f"{(1 - alpha) * 100:g}",
        "low": _signed(compared.low * scale, digits),
        "high": _signed(compared.high * scale, digits),
        "verdict": verdict,
    }


def ab_summary(
    arms: Mapping[str, ArmFigures],
    planned_shares: Mapping[str, float],
    metric: Metric,
    alpha: float = 0.05,
) -> ABSummary:
    """Each arm against the control on click rate, open rate and revenue per recipient.

    The winner is judged on ``metric``: the best challenger whose difference to the control
    is positive and significant (after the Benjamini-Hochberg correction when there are
    two challengers or more); the control itself when every challenger is significantly
    worse; otherwise None. A sample-ratio mismatch is reported (``srm``, and a verdict
    line) but does not withhold the winner: the campaign's rule decides what to do with it.
    """
    if metric not in ("click_rate", "revenue"):
        raise ValueError(f"unknown metric {metric!r}: use 'click_rate' or 'revenue'")
    if len(arms) < 2:
        raise ValueError("an A/B summary needs at least two arms")
    names = sorted(arms)
    control = names[0]
    confidence = 1 - alpha
    base = arms[control]

    compared = {}
    for name in names[1:]:
        figures = arms[name]
        clicks = compare_rates(
            (base.clicks, base.recipients), (figures.clicks, figures.recipients), confidence
        )
        opens = compare_rates(
            (base.opens, base.recipients), (figures.opens, figures.recipients), confidence
        )
        compared[name] = (clicks, opens, welch(base.revenue, figures.revenue, confidence))
    raw = {}
    for name, (clicks, _opens, revenue) in compared.items():
        p_value = (clicks if metric == "click_rate" else revenue).p_value
        if p_value is not None:
            raw[name] = p_value
    corrected = len(compared) > 1
    if corrected:
        adjusted = adjust_p_values(raw, alpha=alpha)
    else:
        adjusted = {name: (p, p < alpha) for name, p in raw.items()}

    results = {}
    for name in names:
        figures = arms[name]
        clicks, opens, revenue = compared.get(name, (None, None, None))
        adjusted_p, reject = adjusted.get(name, (None, False))
        results[name] = ArmResult(
            arm=name,
            recipients=figures.recipients,
            click_rate=rate(figures.clicks, figures.recipients, confidence),
            open_rate=rate(figures.opens, figures.recipients, confidence),
            revenue_per_recipient=figures.revenue.mean,
            clicks_vs_control=clicks,
            opens_vs_control=opens,
            revenue_vs_control=revenue,
            p_value=raw.get(name),
            adjusted_p_value=adjusted_p,
            significant=reject,
        )

    def score(name: str) -> float | None:
        result = results[name]
        return result.click_rate.value if metric == "click_rate" else result.revenue_per_recipient

    def difference(name: str) -> float | None:
        clicks, _opens, revenue = compared[name]
        return (clicks if metric == "click_rate" else revenue).diff

    better = [
        name for name in names[1:] if results[name].significant and (difference(name) or 0) > 0
    ]
    worse = [
        name for name in names[1:] if results[name].significant and (difference(name) or 0) < 0
    ]
    if better:
        # Highest score wins; a tie goes to the earlier arm.
        winner = max(better, key=lambda name: (score(name), -names.index(name)))
    elif len(worse) == len(names) - 1:
        winner = control
    else:
        winner = None

    srm = sample_ratio_mismatch({name: arms[name].recipients for name in names}, planned_shares)
    verdicts = [_verdict(results[name], metric, alpha, corrected) for name in names[1:]]
    if corrected:
        verdicts.append(
            _("%(count)s arms against %(control)s: p-values corrected (Benjamini-Hochberg)")
            % {"count": len(names) - 1, "control": control}
        )
    if srm.mismatch:
        verdicts.append(
            _(
                "Sample ratio mismatch: the arms' sizes differ from the planned split "
                "(p = %(p_value).2g); check how the audience was split before trusting "
                "these figures"
            )
            % {"p_value": srm.p_value}
        )
    if winner is None:
        verdicts.append(
            _("No winner: no arm differs significantly from %(control)s") % {"control": control}
        )
    else:
        verdicts.append(_("Winner: arm %(arm)s") % {"arm": winner})
    return ABSummary(
        metric=metric,
        control=control,
        alpha=alpha,
        arms=results,
        corrected=corrected,
        srm=srm,
        winner=winner,
        verdicts=verdicts,
    )


def minimum_detectable_effect(
    audience: int,
    shares: Sequence[float],
    baseline_rate: float,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """Smallest rise of a rate over ``baseline_rate`` the planned split detects.

    ``shares`` are the arms' parts of the audience, control first. Each challenger is
    compared with the control; the answer is the largest of their minimum detectable
    effects (an absolute difference in rate, 0.01 = one point), so every comparison reaches
    ``power``. With more than one challenger alpha is divided among them: the
    Benjamini-Hochberg correction of the analysis costs that much when one arm differs.
    """
    if len(shares) < 2 or any(share <= 0 for share in shares):
        raise ValueError("an A/B test needs at least two arms with positive shares")
    if not 0 < baseline_rate < 1:
        raise ValueError(f"the baseline rate must be between 0 and 1, got {baseline_rate}")
    total = sum(shares)
    control_n = audience * shares[0] / total
    if control_n < 2:
        raise ValueError(f"an audience of {audience} leaves the control arm empty")
    comparisons = len(shares) - 1
    effects = []
    for share in shares[1:]:
        h = NormalIndPower().solve_power(
            effect_size=None,
            nobs1=control_n,
            alpha=alpha / comparisons,
            power=power,
            ratio=share / shares[0],
            alternative="two-sided",
        )
        # Cohen's h = 2 asin(sqrt(p2)) - 2 asin(sqrt(p1)), solved for p2 (capped at 1).
        angle = min(math.asin(math.sqrt(baseline_rate)) + float(h) / 2, math.pi / 2)
        effects.append(math.sin(angle) ** 2 - baseline_rate)
    return max(effects)


# Surveys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """A survey score in the unit it is shown in: NPS in points (-100..100), CSAT in
    percent (0..100), CES as the mean answer (1..7); None values without answers."""

    value: float | None
    low: float | None
    high: float | None
    answers: int


def _answers(scores: Mapping[int, int], lowest: int, highest: int) -> int:
    for answer, count in scores.items():
        if not isinstance(answer, int) or not lowest <= answer <= highest:
            raise ValueError(f"answer {answer!r} is outside {lowest}..{highest}")
        if count < 0:
            raise ValueError(f"answer {answer} has a negative count ({count})")
    return sum(scores.values())


def nps(scores: Mapping[int, int], confidence: float = 0.95) -> Score:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), normal interval.

    The NPS is a difference of two cells of one multinomial sample, whose variance is
    (p_promoters + p_detractors - (p_promoters - p_detractors)**2) / n (Rocks, "Interval
    estimation for the net promoter score", The American Statistician 70(4), 2016); no
    library offers it, so this one closed form is written out. The interval is clipped to
    -100..100.
    """
    answers = _answers(scores, 0, 10)
    if answers == 0:
        return Score(None, None, None, 0)
    promoters = sum(count for answer, count in scores.items() if answer >= 9) / answers
    detractors = sum(count for answer, count in scores.items() if answer <= 6) / answers
    value = promoters - detractors
    standard_error = math.sqrt((promoters + detractors - value**2) / answers)
    z = float(scipy_stats.norm.ppf(1 - (1 - confidence) / 2))
    low = max(-1.0, value - z * standard_error)
    high = min(1.0, value + z * standard_error)
    return Score(value * 100, low * 100, high * 100, answers)


def csat(scores: Mapping[int, int], confidence: float = 0.95) -> Score:
    """Customer satisfaction: percent of answers 4 or 5 (of 1..5), Wilson interval."""
    answers = _answers(scores, 1, 5)
    satisfied = rate(sum(scores.get(answer, 0) for answer in (4, 5)), answers, confidence)
    if satisfied.value is None:
        return Score(None, None, None, 0)
    return Score(satisfied.value * 100, satisfied.low * 100, satisfied.high * 100, answers)


def ces(scores: Mapping[int, int], confidence: float = 0.95) -> Score:
    """Customer effort score: mean answer (1..7) with its t interval."""
    answers = _answers(scores, 1, 7)
    if answers == 0:
        return Score(None, None, None, 0)
    values = np.repeat(
        np.array(list(scores), dtype=float), np.array(list(scores.values()), dtype=int)
    )
    mean = float(values.mean())
    if answers < 2 or np.all(values == values[0]):
        # One answer, or all alike: no spread to build an interval from.
        low = high = None if answers < 2 else mean
        return Score(mean, low, high, answers)
    interval = scipy_stats.ttest_1samp(values, popmean=mean).confidence_interval(confidence)
    return Score(mean, float(interval.low), float(interval.high), answers)
