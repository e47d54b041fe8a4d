"""Survey scores: NPS with its interval, CSAT (share of 4-5), CES (mean)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

from .rates import rate


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
