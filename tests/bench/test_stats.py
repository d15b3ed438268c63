"""Statistics over samples: percentiles, summaries, the bootstrap ratio to the baseline."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vagrantkit.bench.stats import compare, factor, percentile, ratio, slower_or_faster, summarize

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
    assert r == ratio([80, 82, 81, 79, 85], [10, 11, 9, 10, 10])  # seeded: reproducible


def test_equal_distributions_are_not_significant() -> None:
    r = ratio([10, 12, 11, 9, 13, 10, 11], [11, 10, 12, 13, 9, 11, 10])
    assert r.low < 1 < r.high
    assert not r.significant


@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_interval_brackets_the_ratio_of_medians(target: list[int], baseline: list[int]) -> None:
    r = ratio(target, baseline, resamples=200)
    assert r.value == pytest.approx(statistics.median(target) / statistics.median(baseline))
    assert min(target) / max(baseline) <= r.low <= r.high <= max(target) / min(baseline)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 10**6), st.integers(2, 50), st.integers(1, 9), st.integers(1, 9))
def test_a_constant_slowdown_is_recovered_exactly(c: int, k: int, n: int, m: int) -> None:
    r = ratio([k * c] * n, [c] * m, resamples=50)
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
