"""The thread check on real public Django code (threadcorpus/real, sources in its README): each place
that starts a thread has a verdict made by hand (leak, ok, unknown); the check must reach precision
0.9 and recall 0.85 on the leaks, never crash, and never call a leak what was judged ok."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from vagrantkit.django.threads import scan_threads

REAL = Path(__file__).parent / "threadcorpus" / "real"
EXPECTED: list[dict[str, object]] = json.loads((REAL / "expected.json").read_text())


def outcomes() -> Counter[str]:
    """tp/fp/fn/tn over every expected place (and leaks reported where no verdict was made: fp)."""
    by_repo: dict[str, list[dict[str, object]]] = defaultdict(list)
    for entry in EXPECTED:
        by_repo[str(entry["path"]).split("/")[0]].append(entry)
    counts: Counter[str] = Counter()
    for repo, entries in by_repo.items():
        scan = scan_threads(REAL / repo)
        leaks = {(f"{repo}/{t.path}", t.line) for t in scan.leaks}
        judged = {(str(e["path"]), e["line"]) for e in entries}
        for entry in entries:
            reported = (entry["path"], entry["line"]) in leaks
            verdict = entry["verdict"]
            if verdict == "leak":
                counts["tp" if reported else "fn"] += 1
            elif verdict == "ok":
                counts["fp" if reported else "tn"] += 1
        counts["fp"] += len(leaks - judged)
    return counts


def test_the_corpus_is_real_code_from_many_repositories() -> None:
    repos = {str(e["path"]).split("/")[0] for e in EXPECTED}
    assert len(repos) >= 12 and len(EXPECTED) >= 40
    readme = (REAL / "README.md").read_text()
    assert all(repo in readme for repo in repos)
    assert Counter(e["verdict"] for e in EXPECTED)["leak"] >= 8


def test_precision_and_recall_on_the_real_corpus() -> None:
    counts = outcomes()
    precision = counts["tp"] / (counts["tp"] + counts["fp"])
    recall = counts["tp"] / (counts["tp"] + counts["fn"])
    assert precision >= 0.9 and recall >= 0.85, dict(counts)
