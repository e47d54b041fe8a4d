"""The A/B summary: every arm against the control, the winner, the verdicts in words, and
the minimum detectable effect before launch."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from django.utils.translation import gettext as _
from statsmodels.stats.power import NormalIndPower

from .rates import (
    SRM,
    Rate,
    RateComparison,
    adjust_p_values,
    compare_rates,
    rate,
    sample_ratio_mismatch,
)
from .revenue import MeanComparison, RevenueSample, welch


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
