"""The measurement statistics against scipy and statsmodels called directly, and against
answers worked out by hand."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats import proportion
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
)

from campaigns.measurement.stats import (
    BOOTSTRAP_BATCH_FLOATS,
    BOOTSTRAP_RESAMPLES,
    SRM_ALPHA,
    ArmFigures,
    RevenueSample,
    ab_summary,
    adjust_p_values,
    ces,
    compare_rates,
    csat,
    holdout_uplift,
    minimum_detectable_effect,
    nps,
    rate,
    sample_ratio_mismatch,
    welch,
)

pytestmark = pytest.mark.usefixtures("english")


def revenue(n, buyers, seed, mu=4.0, sigma=1.0):
    """n contacts of whom ``buyers`` bought, lognormal order values."""
    return RevenueSample(n, np.random.default_rng(seed).lognormal(mu, sigma, buyers))


# Rates


def test_rate_is_the_wilson_interval():
    result = rate(37, 412)

    low, high = proportion_confint(37, 412, alpha=0.05, method="wilson")
    assert result.value == pytest.approx(37 / 412)
    assert (result.low, result.high) == pytest.approx((low, high))


def test_rate_of_no_trials_has_no_value():
    result = rate(0, 0)

    assert (result.value, result.low, result.high) == (None, None, None)


def test_compare_rates_is_b_minus_a_by_the_agresti_caffo_test_and_interval():
    result = compare_rates((120, 4000), (171, 4100))

    test = proportion.test_proportions_2indep(
        171, 4100, 120, 4000, method="agresti-caffo", compare="diff"
    )
    low, high = confint_proportions_2indep(171, 4100, 120, 4000, method="agresti-caffo", alpha=0.05)
    assert result.diff == pytest.approx(171 / 4100 - 120 / 4000)
    assert result.p_value == pytest.approx(test.pvalue)
    assert (result.low, result.high) == pytest.approx((low, high))
    assert result.significant is bool(test.pvalue < 0.05)
    assert result.significant is bool(low > 0)


def test_compare_rates_of_unequal_arms_near_the_edge():
    # Arm sizes for which statsmodels' score interval fails to bracket its root.
    result = compare_rates((5, 145), (115, 1882))

    low, high = confint_proportions_2indep(115, 1882, 5, 145, method="agresti-caffo")
    assert (result.low, result.high) == pytest.approx((low, high))


def test_compare_rates_without_trials_is_not_significant():
    result = compare_rates((0, 0), (5, 100))

    assert (result.diff, result.low, result.high, result.p_value) == (None, None, None, None)
    assert result.significant is False


# Revenue


def test_revenue_sample_mean_and_variance_equal_the_materialised_array():
    sample = RevenueSample(1000, [120.0, 35.5, 980.0, 12.25])

    values = np.concatenate([[120.0, 35.5, 980.0, 12.25], np.zeros(996)])
    assert sample.mean == pytest.approx(values.mean())
    assert sample.variance == pytest.approx(values.var(ddof=1))
    assert sorted(sample.array()) == sorted(values)


def test_revenue_sample_refuses_more_revenues_than_contacts():
    with pytest.raises(ValueError, match="3 contacts"):
        RevenueSample(3, [1.0, 2.0, 3.0, 4.0])


def test_welch_equals_scipy_on_the_materialised_arrays():
    a, b = revenue(3000, 150, seed=1), revenue(2500, 160, seed=2, sigma=1.4)

    result = welch(a, b)

    expected = scipy_stats.ttest_ind(b.array(), a.array(), equal_var=False)
    interval = expected.confidence_interval(0.95)
    assert result.diff == pytest.approx(b.array().mean() - a.array().mean())
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.df == pytest.approx(expected.df)
    assert (result.low, result.high) == pytest.approx((interval.low, interval.high))


def test_welch_without_spread_has_no_test():
    result = welch(RevenueSample(10, []), RevenueSample(10, []))

    assert result.diff == 0
    assert (result.p_value, result.low, result.high) == (None, None, None)
    assert result.significant is False


# Holdout uplift


def test_holdout_uplift_difference_and_incremental_revenue():
    treated, holdout = revenue(20000, 1200, seed=3), revenue(5000, 250, seed=4)

    uplift = holdout_uplift(treated, holdout, bootstrap=False)

    expected = scipy_stats.ttest_ind(treated.array(), holdout.array(), equal_var=False)
    interval = expected.confidence_interval(0.95)
    assert uplift.difference == pytest.approx(treated.mean - holdout.mean)
    assert uplift.p_value == pytest.approx(expected.pvalue)
    assert (uplift.difference_low, uplift.difference_high) == pytest.approx(
        (interval.low, interval.high)
    )
    assert uplift.incremental_revenue == pytest.approx(uplift.difference * 20000)
    assert uplift.incremental_low == pytest.approx(interval.low * 20000)


def test_relative_uplift_interval_is_the_first_order_delta_method():
    treated, holdout = revenue(20000, 1200, seed=5), revenue(5000, 250, seed=6)

    uplift = holdout_uplift(treated, holdout, bootstrap=False)

    ratio = treated.mean / holdout.mean
    se = math.sqrt(
        treated.variance / treated.n / holdout.mean**2
        + treated.mean**2 * holdout.variance / holdout.n / holdout.mean**4
    )
    z = scipy_stats.norm.ppf(0.975)
    assert uplift.relative == pytest.approx(ratio - 1)
    assert uplift.relative_low == pytest.approx(ratio - 1 - z * se)
    assert uplift.relative_high == pytest.approx(ratio - 1 + z * se)
    assert uplift.relative_low < uplift.relative < uplift.relative_high


def test_relative_uplift_is_none_when_the_holdout_bought_nothing():
    uplift = holdout_uplift(revenue(2000, 40, seed=7), RevenueSample(500, []), bootstrap=False)

    assert uplift.holdout_mean == 0
    assert (uplift.relative, uplift.relative_low, uplift.relative_high) == (None, None, None)
    assert uplift.difference > 0


def test_bootstrap_runs_when_the_holdout_is_small():
    treated, holdout = revenue(5000, 300, seed=8), revenue(600, 30, seed=9)

    uplift = holdout_uplift(treated, holdout, random_state=11)

    expected = scipy_stats.bootstrap(
        (treated.array(), holdout.array()),
        lambda t, h, axis: t.mean(axis=axis) - h.mean(axis=axis),
        vectorized=True,
        method="BCa",
        n_resamples=BOOTSTRAP_RESAMPLES,
        batch=BOOTSTRAP_BATCH_FLOATS // 5000,  # the batches decide the order of the draws
        rng=11,
    ).confidence_interval
    assert (uplift.bootstrap_low, uplift.bootstrap_high) == pytest.approx(
        (expected.low, expected.high)
    )
    assert uplift.bootstrap_low < uplift.difference < uplift.bootstrap_high


def test_no_bootstrap_for_a_large_holdout_with_revenue_close_to_normal():
    # Many small orders: skewness low against the group size (Cochran's rule holds).
    treated, holdout = revenue(6000, 3000, seed=10, sigma=0.3), revenue(4000, 2000, seed=12)

    uplift = holdout_uplift(treated, holdout)

    assert uplift.skewed is False
    assert (uplift.bootstrap_low, uplift.bootstrap_high) == (None, None)


def test_bootstrap_when_revenue_is_very_skewed_for_the_group_size():
    # 1 buyer in 200 with heavy-tailed orders: far too skewed for 8,000 contacts.
    treated, holdout = revenue(8000, 40, seed=13, sigma=2), revenue(4000, 20, seed=14, sigma=2)

    uplift = holdout_uplift(treated, holdout)

    assert uplift.skewed is True
    assert uplift.bootstrap_low is not None
    assert uplift.bootstrap_low < uplift.bootstrap_high


def test_no_automatic_bootstrap_beyond_the_affordable_size():
    treated, holdout = revenue(200_000, 100, seed=15, sigma=2), revenue(900, 1, seed=16)

    uplift = holdout_uplift(treated, holdout)

    assert uplift.skewed is True
    assert uplift.bootstrap_low is None
    assert uplift.difference_low is not None


def simulated_coverage(runs, effect, seed):
    """Share of runs whose difference and relative intervals hold the true values: 5% of
    contacts buy (lognormal orders), the treated group ``effect`` more."""
    rng = np.random.default_rng(seed)
    mean_order = math.exp(5 + 0.5)
    hits = np.zeros(2)
    for _run in range(runs):
        groups = [
            RevenueSample(n, rng.lognormal(5, 1, rng.binomial(n, p)))
            for n, p in ((40_000, 0.05 + effect), (10_000, 0.05))
        ]
        uplift = holdout_uplift(*groups, bootstrap=False)
        hits += [
            uplift.difference_low <= effect * mean_order <= uplift.difference_high,
            uplift.relative_low <= effect / 0.05 <= uplift.relative_high,
        ]
    return hits / runs


@pytest.mark.parametrize("effect", [0.0, 0.01], ids=["A/A", "A/B"])
def test_holdout_intervals_cover_the_true_effect_95_percent_of_the_time(effect):
    difference, relative = simulated_coverage(2000, effect, seed=404 + int(effect * 100))

    assert 0.935 <= difference <= 0.965
    assert 0.935 <= relative <= 0.965


# A/B tests


def test_srm_flags_a_52_48_split_planned_50_50():
    result = sample_ratio_mismatch({"A": 52_000, "B": 48_000}, {"A": 0.5, "B": 0.5})

    assert result.p_value == pytest.approx(scipy_stats.chisquare([52_000, 48_000]).pvalue)
    assert result.p_value < SRM_ALPHA
    assert result.mismatch is True


def test_srm_accepts_a_50_1_49_9_split_planned_50_50():
    result = sample_ratio_mismatch({"A": 50_100, "B": 49_900}, {"A": 0.5, "B": 0.5})

    assert result.mismatch is False


def test_srm_uses_the_planned_shares():
    result = sample_ratio_mismatch({"A": 10_000, "B": 90_000}, {"A": 10, "B": 90})

    assert result.expected == pytest.approx({"A": 10_000, "B": 90_000})
    assert result.mismatch is False


def test_adjust_p_values_is_benjamini_hochberg():
    p_values = {"B": 0.01, "C": 0.04, "D": 0.03, "E": 0.2}

    result = adjust_p_values(p_values)

    reject, adjusted, _s, _b = multipletests(list(p_values.values()), method="fdr_bh")
    assert [result[key][0] for key in p_values] == pytest.approx(list(adjusted))
    assert [result[key][1] for key in p_values] == list(reject)


def arms_of(*figures):
    return {name: ArmFigures(*values) for name, values in zip("ABCD", figures, strict=False)}


def test_ab_summary_figures_equal_scipy_and_statsmodels():
    a_revenue, b_revenue = revenue(5000, 60, seed=20), revenue(5100, 75, seed=21)
    arms = arms_of((5000, 210, 1400, a_revenue), (5100, 265, 1480, b_revenue))

    summary = ab_summary(arms, {"A": 0.5, "B": 0.5}, metric="click_rate")

    b = summary.arms["B"]
    clicks_test = proportion.test_proportions_2indep(265, 5100, 210, 5000, method="agresti-caffo")
    clicks_interval = confint_proportions_2indep(265, 5100, 210, 5000, method="agresti-caffo")
    opens_test = proportion.test_proportions_2indep(1480, 5100, 1400, 5000, method="agresti-caffo")
    revenue_test = scipy_stats.ttest_ind(b_revenue.array(), a_revenue.array(), equal_var=False)
    assert summary.control == "A"
    assert (b.click_rate.low, b.click_rate.high) == pytest.approx(
        proportion_confint(265, 5100, method="wilson")
    )
    assert b.clicks_vs_control.p_value == pytest.approx(clicks_test.pvalue)
    assert (b.clicks_vs_control.low, b.clicks_vs_control.high) == pytest.approx(clicks_interval)
    assert b.opens_vs_control.p_value == pytest.approx(opens_test.pvalue)
    assert b.revenue_vs_control.p_value == pytest.approx(revenue_test.pvalue)
    assert b.revenue_per_recipient == pytest.approx(b_revenue.array().mean())
    assert b.adjusted_p_value == pytest.approx(clicks_test.pvalue)
    assert summary.srm.p_value == pytest.approx(scipy_stats.chisquare([5000, 5100]).pvalue)


def test_no_winner_when_nothing_is_significant():
    arms = arms_of(
        (5000, 150, 1000, revenue(5000, 50, seed=22)),
        (5000, 158, 1010, revenue(5000, 52, seed=23)),
    )

    summary = ab_summary(arms, {"A": 0.5, "B": 0.5}, metric="click_rate")

    assert summary.winner is None
    assert summary.verdicts[-1] == "No winner: no arm differs significantly from A"
    assert summary.verdicts[0].endswith(", not significant")


def test_the_clearly_better_arm_wins_and_the_verdict_says_so():
    arms = arms_of(
        (8000, 240, 1600, revenue(8000, 80, seed=24)),
        (8000, 384, 1650, revenue(8000, 80, seed=25)),
    )

    summary = ab_summary(arms, {"A": 0.5, "B": 0.5}, metric="click_rate")

    low, high = confint_proportions_2indep(384, 8000, 240, 8000, method="agresti-caffo")
    assert summary.winner == "B"
    assert summary.verdicts[0] == (
        f"Arm B: +1.8 points click rate, 95% interval {low * 100:+.1f} to {high * 100:+.1f}, "
        "significant"
    )
    assert summary.verdicts[-1] == "Winner: arm B"


def test_the_control_wins_when_every_challenger_is_clearly_worse():
    arms = arms_of(
        (8000, 400, 1600, revenue(8000, 80, seed=31)),
        (8000, 250, 1600, revenue(8000, 80, seed=32)),
    )

    summary = ab_summary(arms, {"A": 0.5, "B": 0.5}, metric="click_rate")

    assert summary.winner == "A"
    assert summary.verdicts[0].startswith("Arm B: -1.9 points click rate")


def test_an_arm_without_recipients_is_not_compared():
    arms = arms_of((8000, 400, 1600, revenue(8000, 80, seed=33)), (0, 0, 0, RevenueSample(0, [])))

    summary = ab_summary(arms, {"A": 0.5, "B": 0.5}, metric="click_rate")

    assert summary.winner is None
    assert summary.verdicts[0] == "Arm B: not enough data to compare yet"


def test_three_arms_are_judged_after_the_benjamini_hochberg_correction():
    arms = arms_of(
        (6000, 180, 1200, revenue(6000, 60, seed=26)),
        (6000, 222, 1200, revenue(6000, 60, seed=27)),
        (6000, 300, 1200, revenue(6000, 60, seed=28)),
    )

    summary = ab_summary(arms, {"A": 1, "B": 1, "C": 1}, metric="click_rate")

    raw = [summary.arms[arm].clicks_vs_control.p_value for arm in ("B", "C")]
    _reject, adjusted, _s, _b = multipletests(raw, method="fdr_bh")
    assert [summary.arms[arm].adjusted_p_value for arm in ("B", "C")] == pytest.approx(
        list(adjusted)
    )
    assert summary.corrected is True
    assert summary.winner == "C"


def test_revenue_metric_picks_the_arm_with_more_revenue_per_recipient():
    arms = arms_of(
        (6000, 180, 1200, revenue(6000, 120, seed=29)),
        (6000, 180, 1200, revenue(6000, 240, seed=30)),
    )

    summary = ab_summary(arms, {"A": 0.5, "B": 0.5}, metric="revenue")

    assert summary.arms["B"].revenue_vs_control.significant
    assert summary.winner == "B"
    assert summary.verdicts[0].startswith("Arm B: +")
    assert "revenue per recipient" in summary.verdicts[0]


def test_a_skewed_split_is_reported():
    arms = arms_of(
        (5200, 150, 1000, RevenueSample(5200, [])),
        (4800, 140, 1000, RevenueSample(4800, [])),
    )

    summary = ab_summary(arms, {"A": 0.5, "B": 0.5}, metric="click_rate")

    assert summary.srm.mismatch is True
    assert any(line.startswith("Sample ratio mismatch") for line in summary.verdicts)


def test_minimum_detectable_effect_reaches_the_planned_power():
    effect = minimum_detectable_effect(20_000, [0.5, 0.5], baseline_rate=0.03)

    h = proportion_effectsize(0.03 + effect, 0.03)
    power = NormalIndPower().power(h, nobs1=10_000, alpha=0.05, ratio=1.0)
    assert power == pytest.approx(0.8, abs=1e-3)
    assert 0.005 < effect < 0.01


def test_minimum_detectable_effect_of_a_small_challenger_arm():
    effect = minimum_detectable_effect(50_000, [0.8, 0.1, 0.1], baseline_rate=0.2)

    h = proportion_effectsize(0.2 + effect, 0.2)
    # Two challengers: the analysis corrects for two comparisons, so alpha is halved.
    power = NormalIndPower().power(h, nobs1=40_000, alpha=0.025, ratio=0.125)
    assert power == pytest.approx(0.8, abs=1e-3)


# Surveys


def test_nps_on_known_answers():
    # 100 answers: 45 promoters, 30 passives, 25 detractors.
    score = nps({10: 25, 9: 20, 8: 18, 7: 12, 6: 10, 3: 10, 0: 5})

    promoters, detractors = 0.45, 0.25
    se = math.sqrt((promoters + detractors - (promoters - detractors) ** 2) / 100)
    assert score.value == pytest.approx(20.0)
    assert score.low == pytest.approx(100 * (0.2 - 1.959964 * se))
    assert score.high == pytest.approx(100 * (0.2 + 1.959964 * se))
    assert score.answers == 100


def test_nps_refuses_answers_outside_0_to_10():
    with pytest.raises(ValueError, match="11"):
        nps({11: 3})


def test_csat_on_known_answers():
    score = csat({5: 30, 4: 42, 3: 10, 2: 10, 1: 8})

    low, high = proportion_confint(72, 100, method="wilson")
    assert score.value == pytest.approx(72.0)
    assert (score.low, score.high) == pytest.approx((low * 100, high * 100))


def test_ces_on_known_answers():
    score = ces({1: 2, 2: 4, 3: 3, 7: 1})

    # Answers 1,1,2,2,2,2,3,3,3,7: mean 26/10; sample sd from the squared deviations.
    mean = 2.6
    sd = math.sqrt((2 * 1.6**2 + 4 * 0.6**2 + 3 * 0.4**2 + 4.4**2) / 9)
    t = scipy_stats.t.ppf(0.975, df=9)
    assert score.value == pytest.approx(mean)
    assert score.low == pytest.approx(mean - t * sd / math.sqrt(10))
    assert score.high == pytest.approx(mean + t * sd / math.sqrt(10))


def test_surveys_without_answers_have_no_score():
    assert nps({}).value is None
    assert csat({}).value is None
    assert ces({}).value is None
