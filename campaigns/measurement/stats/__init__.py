"""The statistics of campaign measurement: holdout uplift, A/B comparisons, surveys.

Pure functions over counts and revenue figures, frozen dataclasses out. Every test,
interval and correction comes from scipy or statsmodels; the two closed forms that no
library offers (inverting Cohen's h, the standard error of the NPS) are named where used.
Nothing here reads the database: callers (selectors, services) count and sum, this module
judges. Revenue per contact travels as a ``RevenueSample`` (group size and the non-zero
revenues), so a million recipients with a few hundred buyers never become a million floats,
except for the bootstrap, which is only run on groups small enough to afford it.
"""

from importlib import import_module
from typing import TYPE_CHECKING

# The submodules import scipy and statsmodels (which bring numpy and pandas: over 100 MB and
# seconds of imports): loaded on first use (PEP 562), so a process carries them only once
# it judges a campaign (a results page, the A/B winner), not for answering a shop or rendering.
_SUBMODULE = {
    "BOOTSTRAP_BATCH_FLOATS": "revenue",
    "BOOTSTRAP_MAX_CONTACTS": "revenue",
    "BOOTSTRAP_RESAMPLES": "revenue",
    "COCHRAN_FACTOR": "revenue",
    "PROPORTIONS_METHOD": "rates",
    "SMALL_HOLDOUT": "revenue",
    "SRM": "rates",
    "SRM_ALPHA": "rates",
    "ABSummary": "ab",
    "ArmFigures": "ab",
    "ArmResult": "ab",
    "MeanComparison": "revenue",
    "Metric": "ab",
    "Rate": "rates",
    "RateComparison": "rates",
    "RevenueSample": "revenue",
    "Score": "surveys",
    "Uplift": "revenue",
    "ab_summary": "ab",
    "adjust_p_values": "rates",
    "ces": "surveys",
    "compare_rates": "rates",
    "csat": "surveys",
    "holdout_uplift": "revenue",
    "minimum_detectable_effect": "ab",
    "nps": "surveys",
    "rate": "rates",
    "sample_ratio_mismatch": "rates",
    "welch": "revenue",
}

if TYPE_CHECKING:
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


def __getattr__(name: str):
    if name not in _SUBMODULE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_SUBMODULE[name]}", __name__), name)
    globals()[name] = value
    return value


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
