"""The statistics of campaign measurement: holdout uplift, A/B comparisons, surveys.

Pure functions over counts and revenue figures, frozen dataclasses out. Every test,
interval and correction comes from scipy or statsmodels; the two closed forms that no
library offers (inverting Cohen's h, the standard error of the NPS) are named where used.
Nothing here reads the database: callers (selectors, services) count and sum, this module
judges. Revenue per contact travels as a ``RevenueSample`` (group size and the non-zero
revenues), so a million recipients with a few hundred buyers never become a million floats,
except for the bootstrap, which is only run on groups small enough to afford it.
"""

from .ab import ABSummary, ArmFigures, ArmResult, Metric, ab_summary, minimum_detectable_effect
from .rates import (
    PROPORTIONS_METHOD,
    SRM,
    SRM_ALPHA,
    Rate,
    RateComparison,
    adjust_p_values,
    compare_rates,
    rate,
    sample_ratio_mismatch,
)
from .revenue import (
    BOOTSTRAP_BATCH_FLOATS,
    BOOTSTRAP_MAX_CONTACTS,
    BOOTSTRAP_RESAMPLES,
    COCHRAN_FACTOR,
    SMALL_HOLDOUT,
    MeanComparison,
    RevenueSample,
    Uplift,
    holdout_uplift,
    welch,
)
from .surveys import Score, ces, csat, nps

__all__ = [
    "BOOTSTRAP_BATCH_FLOATS",
    "BOOTSTRAP_MAX_CONTACTS",
    "BOOTSTRAP_RESAMPLES",
    "COCHRAN_FACTOR",
    "PROPORTIONS_METHOD",
    "SMALL_HOLDOUT",
    "SRM",
    "SRM_ALPHA",
    "ABSummary",
    "ArmFigures",
    "ArmResult",
    "MeanComparison",
    "Metric",
    "Rate",
    "RateComparison",
    "RevenueSample",
    "Score",
    "Uplift",
    "ab_summary",
    "adjust_p_values",
    "ces",
    "compare_rates",
    "csat",
    "holdout_uplift",
    "minimum_detectable_effect",
    "nps",
    "rate",
    "sample_ratio_mismatch",
    "welch",
]
