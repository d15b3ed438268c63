"""Statistics over samples: percentiles, summaries, the bootstrap ratio to the baseline."""

from __future__ import annotations

import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vagrantkit.bench.stats import compare, factor, median_distribution, percentile, ratio, slower_or_faster, summarize

samples = st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=12)


def test_percentile_interpolates_between_ranks_like_numpy() -> None:
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile(list(range(101)), 95) == 95
    assert percentile([10, 20], 95) == pytest.approx(19.5)
    assert percentile([7], 95) == 7
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summarize_gives_median_p95_min_max_and_rate() -> None:
    s = summarize([3_000_000, 1_000_000, 2_000_000, 10_000_000], count=500, unit="file")
    assert (s.median_ns, s.min_ns, s.max_ns, s.samples) == (2_500_000, 1_000_000, 10_000_000, 4)
    assert s.p95_ns == pytest.approx(10_000_000 - 0.05 * 3 * 7_000_000)
    assert s.ops_per_s == pytest.approx(500 / 0.0025)


def test_ratio_is_target_median_over_baseline_median() -> None:
    r = ratio([80, 82, 81, 79, 85], [10, 11, 9, 10, 10])
    assert r.value == statistics.median([80, 82, 81, 79, 85]) / 10
    assert r.low <= r.value <= r.high
    assert r.significant
    assert r == ratio([80, 82, 81, 79, 85], [10, 11, 9, 10, 10])  # exact: reproducible
    assert r.decisive  # 8x is a difference worth naming


def test_equal_distributions_are_not_significant() -> None:
    r = ratio([10, 12, 11, 9, 13, 10, 11], [11, 10, 12, 13, 9, 11, 10])
    assert r.low < 1 < r.high
    assert not r.significant and not r.decisive


@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_interval_brackets_the_ratio_of_medians(target: list[int], baseline: list[int]) -> None:
    r = ratio(target, baseline)
    assert r.value == pytest.approx(statistics.median(target) / statistics.median(baseline))
    assert min(target) / max(baseline) <= r.low <= r.high <= max(target) / min(baseline)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 10**6), st.integers(2, 50), st.integers(1, 9), st.integers(1, 9))
def test_a_constant_slowdown_is_recovered_exactly(c: int, k: int, n: int, m: int) -> None:
    r = ratio([k * c] * n, [c] * m)
    assert (r.value, r.low, r.high) == (k, k, k)
    assert r.significant


def test_words_for_ratios() -> None:
    assert factor(23.4) == "23x" and factor(1 / 23.4) == "23x"
    assert factor(1.44) == "1.4x"
    assert slower_or_faster(8.2) == "8.2x slower"
    assert slower_or_faster(0.5) == "2.0x faster"
    assert slower_or_faster(1.05) == "about as fast"
    assert compare("nfs", "vboxsf", 1 / 23) == "nfs is 23x faster than vboxsf"
    assert compare("a", "b", 0.97) == "a is about as fast as b"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 10**6), min_size=1, max_size=12))
def test_the_exact_bootstrap_distribution_of_the_median_is_a_distribution_over_sample_medians(xs: list[int]) -> None:
    distribution = median_distribution(xs)
    assert sum(p for _, p in distribution) == pytest.approx(1.0)
    assert all(p >= -1e-12 for _, p in distribution)
    assert min(xs) <= min(v for v, _ in distribution) and max(v for v, _ in distribution) <= max(xs)


def test_the_exact_distribution_agrees_with_resampling() -> None:
    xs = [1, 2, 4, 8, 16, 32]  # even: medians are means of two draws
    rng = random.Random(1)
    draws = [statistics.median(rng.choices(xs, k=len(xs))) for _ in range(100_000)]
    for value, p in median_distribution(xs):
        if p > 0.01:
            assert draws.count(value) / len(draws) == pytest.approx(p, abs=0.01)


def test_a_difference_is_named_only_when_it_clears_the_run_wide_interval_and_10_percent() -> None:
    small = ratio([104, 105, 103, 104, 106], [100, 101, 99, 100, 100])  # 4 % slower, clearly
    assert small.significant and not small.decisive  # real, but within 10 %: a tie
    wide = ratio([20, 24, 22, 19, 25], [10, 12, 11, 9, 13], family=30)
    assert wide.family_low <= wide.low <= wide.value <= wide.high <= wide.family_high
