"""Numbers from raw samples: median, p95, min, max, ops/s, and ratios to the baseline with a bootstrap interval.

Pure functions over nanosecond samples; no I/O. A sample is the time one batch of ``count`` items took.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

CONFIDENCE = 0.95
# Within this factor two medians are a tie: "about as fast" in words, `≈` in the table.
EQUIVALENCE = 1.10


@dataclass(frozen=True)
class OpStats:
    """One operation on one target, over its measured repetitions."""

    count: int
    unit: str
    samples: int
    median_ns: float
    p95_ns: float
    min_ns: float
    max_ns: float

    @property
    def ops_per_s(self) -> float:
        """Items per second at the median batch time."""
        return self.count / (self.median_ns / 1e9) if self.median_ns > 0 else math.inf


@dataclass(frozen=True)
class Ratio:
    """Median time of a target divided by the baseline's (> 1: slower), with bootstrap intervals.

    ``low``-``high``: the 95 % interval the table shows. ``family_low``-``family_high``: the wider
    interval a difference must clear to be named at all (:attr:`decisive`), at 1 - 0.05/m for the m
    comparisons of the run (Bonferroni), so that a run of many operations and folders does not
    name a difference where there is none.
    """

    value: float
    low: float
    high: float
    family_low: float = 0.0
    family_high: float = math.inf

    @property
    def significant(self) -> bool:
        """The 95 % interval excludes 1."""
        return self.low > 1 or self.high < 1

    @property
    def decisive(self) -> bool:
        """The family interval lies wholly beyond :data:`EQUIVALENCE` either way: a difference worth naming.

        An interval that merely excludes 1 says little: with a dozen operations and a few folders,
        a 95 % interval misses 1 by chance alone in about one comparison of twenty, and a 3 %
        difference is no reason to pick a folder. Two folders within 10 % are a tie.
        """
        return self.family_low > EQUIVALENCE or self.family_high < 1 / EQUIVALENCE


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between closest ranks (NumPy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarize(ns: Sequence[int], count: int, unit: str = "file") -> OpStats:
    """Median / p95 / min / max of the batch times ``ns`` (nanoseconds)."""
    if not ns:
        raise ValueError("no samples")
    return OpStats(
        count=count,
        unit=unit,
        samples=len(ns),
        median_ns=float(statistics.median(ns)),
        p95_ns=percentile(ns, 95),
        min_ns=float(min(ns)),
        max_ns=float(max(ns)),
    )


def median_distribution(samples: Sequence[int]) -> list[tuple[float, float]]:
    """The exact bootstrap distribution of the median: ``(value, probability)`` pairs.

    A resample draws ``n`` of the ``n`` sorted samples with replacement; ``N(j)``, the number of
    draws among the first ``j + 1``, is binomial. For odd ``n = 2m + 1`` the median is the
    ``(m + 1)``-th order statistic, at index ``j`` with probability ``P(N(j) > m) - P(N(j - 1) > m)``.
    For even ``n = 2m`` it is the mean of the ``m``-th and ``(m + 1)``-th: below index ``a < b``
    exactly when ``m`` draws lie at or below ``a`` (one at ``a``) and the other ``n - m`` at or above
    ``b`` (one at ``b``). Exact, so no resampling noise, even in the far tails a run-wide
    (Bonferroni) interval reaches.
    """
    v = sorted(samples)
    n = len(v)
    if n == 0:
        raise ValueError("no samples")

    def at_least(j: int, k: int) -> float:  # P(N(j) >= k), N(j) ~ Binomial(n, (j + 1) / n)
        if j < 0:
            return 0.0 if k > 0 else 1.0
        p = (j + 1) / n
        return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))

    if n % 2:
        m = n // 2
        return [(float(v[j]), at_least(j, m + 1) - at_least(j - 1, m + 1)) for j in range(n)]
    m = n // 2
    pairs: list[tuple[float, float]] = []
    below = [((a + 1) / n) ** m - (a / n) ** m for a in range(n)]  # the m low draws end at a
    above = [((n - b) / n) ** (n - m) - ((n - b - 1) / n) ** (n - m) for b in range(n)]  # the rest start at b
    for a in range(n):
        x_m = at_least(a, m) - at_least(a - 1, m)  # P(the m-th order statistic is v[a])
        split = 0.0
        for b in range(a + 1, n):
            p = math.comb(n, m) * below[a] * above[b]
            split += p
            pairs.append(((v[a] + v[b]) / 2, p))
        pairs.append((float(v[a]), x_m - split))  # both middle draws at a
    return pairs


def _quantile(distribution: list[tuple[float, float]], q: float) -> float:
    """The smallest value whose cumulative probability reaches ``q``."""
    total = 0.0
    for value, p in distribution:
        total += p
        if total >= q - 1e-12:
            return value
    return distribution[-1][0]


def ratio(
    target_ns: Sequence[int], baseline_ns: Sequence[int], *, confidence: float = CONFIDENCE, family: int = 1
) -> Ratio:
    """Ratio of medians (target / baseline) with exact percentile-bootstrap intervals.

    The interval is the middle ``confidence`` share of the distribution of the ratio of the two
    resampled medians (:func:`median_distribution`, independent); the family interval the middle
    ``1 - (1 - confidence) / family`` share. Deterministic: the same samples give the same intervals.
    """
    if not target_ns or not baseline_ns:
        raise ValueError("no samples")
    value = statistics.median(target_ns) / statistics.median(baseline_ns)
    joint = sorted(
        (t / b, pt * pb) for t, pt in median_distribution(target_ns) for b, pb in median_distribution(baseline_ns)
    )
    tail = (1 - confidence) / 2
    wide = tail / max(1, family)
    return Ratio(
        value=value,
        low=_quantile(joint, tail),
        high=_quantile(joint, 1 - tail),
        family_low=_quantile(joint, wide),
        family_high=_quantile(joint, 1 - wide),
    )


def factor(r: float) -> str:
    """A ratio as people say it: ``23x``, ``1.4x``."""
    r = max(r, 1 / r) if r > 0 else math.inf
    return f"{r:.0f}x" if r >= 10 else f"{r:.1f}x"


def slower_or_faster(r: float) -> str:
    """``8.2x slower``, ``1.4x faster``, or ``about as fast`` within 10 %."""
    if 1 / EQUIVALENCE <= r <= EQUIVALENCE:
        return "about as fast"
    return f"{factor(r)} {'slower' if r > 1 else 'faster'}"


def compare(a: str, b: str, r: float) -> str:
    """``a is 8.2x slower than b`` for a time ratio ``r`` = a / b; ``a is about as fast as b`` within 10 %."""
    words = slower_or_faster(r)
    return f"{a} is {words} {'as' if words == 'about as fast' else 'than'} {b}"
