"""Numbers from raw samples: median, p95, min, max, ops/s, and ratios to the baseline with a bootstrap interval.

Pure functions over nanosecond samples; no I/O. A sample is the time one batch of ``count`` items took.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

BOOTSTRAP_RESAMPLES = 2000
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
    """Median time of a target divided by the baseline's (> 1: slower), with a bootstrap interval."""

    value: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        """The interval excludes 1: the difference is not noise."""
        return self.low > 1 or self.high < 1

    @property
    def decisive(self) -> bool:
        """The whole interval lies beyond :data:`EQUIVALENCE` either way: a difference worth naming.

        An interval that merely excludes 1 says little: with a dozen operations and a few
        folders, a 95 % interval misses 1 by chance alone in about one comparison of twenty, and
        a 3 % difference is no reason to pick a folder. Two folders within 10 % are a tie.
        """
        return self.low > EQUIVALENCE or self.high < 1 / EQUIVALENCE


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


def ratio(
    target_ns: Sequence[int],
    baseline_ns: Sequence[int],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> Ratio:
    """Ratio of medians (target / baseline) with a percentile-bootstrap interval.

    Each resample draws both sample sets again with replacement and takes the ratio of their
    medians; the interval is the middle ``confidence`` share of those ratios. Seeded, so the
    same samples always give the same interval.
    """
    if not target_ns or not baseline_ns:
        raise ValueError("no samples")
    value = statistics.median(target_ns) / statistics.median(baseline_ns)
    rng = random.Random(seed)
    nt, nb = len(target_ns), len(baseline_ns)
    boots = []
    for _ in range(resamples):
        t = statistics.median([target_ns[rng.randrange(nt)] for _ in range(nt)])
        b = statistics.median([baseline_ns[rng.randrange(nb)] for _ in range(nb)])
        boots.append(t / b)
    tail = (1 - confidence) / 2 * 100
    return Ratio(value=value, low=percentile(boots, tail), high=percentile(boots, 100 - tail))


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
