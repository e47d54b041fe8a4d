"""Coverage of the holdout uplift's intervals on synthetic revenue with a known effect.

2,000 simulated A/A runs (no effect) and 2,000 A/B runs (a known effect): how often the 95%
interval of the difference (Welch) and of the relative uplift (delta method) contain the
true value. Both must land in 93.5-96.5% (2,000 runs put the binomial standard error of a
true 95% at 0.49 points, so the band is three of them either side).

Synthetic revenue looks like B2B newsletter revenue: most contacts buy nothing, a buyer's
revenue is lognormal (skewed: a few large orders). The campaign's effect is more buyers:
the treated group's buying rate rises by one point, which adds a known amount to revenue
per contact (one point x the mean order) and a known relative uplift.

A last, harder case (a 5% holdout, 1% buyers, heavier-tailed orders) is printed without
being held to the band: it shows where the t interval falls short and how often the
``skewed`` flag warns about it.

Run alone: ``.venv/bin/python bench/stats_coverage.py`` (exit status 1 outside the band);
``make bench`` runs it too. Fewer runs for a quick try: ``BENCH_COVERAGE_RUNS=200``.
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import numpy as np

RUNS = int(os.environ.get("BENCH_COVERAGE_RUNS", "2000"))
TREATED = 40_000
HOLDOUT = 10_000
BUYING_RATE = 0.05
EFFECT = 0.01  # the treated group's buying rate is one point higher in the A/B runs
ORDER_MU, ORDER_SIGMA = 5.0, 1.0  # lognormal order value: median 148, mean 245
BAND = (0.935, 0.965)
SEED = 20261206


def simulate(runs: int, effect: float, seed: int, treated_n: int = TREATED,
             holdout_n: int = HOLDOUT, buying_rate: float = BUYING_RATE,
             sigma: float = ORDER_SIGMA) -> tuple[float, float, float]:  # fmt: skip
    """Shares of runs whose difference and relative intervals cover the truth, and of runs
    flagged ``skewed``."""
    from campaigns.measurement.stats import RevenueSample, holdout_uplift

    rng = np.random.default_rng(seed)
    mean_order = math.exp(ORDER_MU + sigma**2 / 2)
    true_difference = effect * mean_order
    true_relative = effect / buying_rate
    difference_hits = relative_hits = flagged = 0
    for _run in range(runs):
        groups = []
        for n, rate in ((treated_n, buying_rate + effect), (holdout_n, buying_rate)):
            buyers = rng.binomial(n, rate)
            groups.append(RevenueSample(n, rng.lognormal(ORDER_MU, sigma, buyers)))
        uplift = holdout_uplift(*groups, bootstrap=False)
        difference_hits += uplift.difference_low <= true_difference <= uplift.difference_high
        relative_hits += uplift.relative_low <= true_relative <= uplift.relative_high
        flagged += uplift.skewed
    return difference_hits / runs, relative_hits / runs, flagged / runs


def run() -> bool:
    """Print the coverages; True when all four are in the band."""
    started = time.perf_counter()
    inside = True
    for name, effect, seed in (("A/A", 0.0, SEED), ("A/B", EFFECT, SEED + 1)):
        difference, relative, flagged = simulate(RUNS, effect, seed)
        ok = all(BAND[0] <= coverage <= BAND[1] for coverage in (difference, relative))
        inside &= ok
        print(
            f"holdout uplift coverage, {name} ({RUNS} runs, {TREATED:,} treated / "
            f"{HOLDOUT:,} holdout, effect +{effect:.0%} buyers): difference "
            f"{difference:.1%}, relative {relative:.1%} "
            f"(goal {BAND[0]:.1%}-{BAND[1]:.1%}: {'ok' if ok else 'OUTSIDE'}), "
            f"flagged skewed in {flagged:.0%} of runs"
        )
    # Where the t interval is not enough: a 5% holdout, 1% buyers, heavier-tailed orders.
    # Not held to the band; it shows what the ``skewed`` flag warns about.
    difference, relative, flagged = simulate(
        RUNS, 0.0, SEED + 2, treated_n=95_000, holdout_n=5_000, buying_rate=0.01, sigma=1.5
    )
    print(
        f"holdout uplift coverage, hard case, A/A ({RUNS} runs, 95,000 treated / 5,000 "
        f"holdout, 1% buyers, order sigma 1.5): difference {difference:.1%}, relative "
        f"{relative:.1%}, flagged skewed in {flagged:.0%} of runs"
    )
    print(f"holdout uplift coverage took {time.perf_counter() - started:.1f} s")
    return inside


if __name__ == "__main__":
    # Run as a file, the project root is not on the path yet.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(0 if run() else 1)
