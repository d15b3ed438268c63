#!/usr/bin/env python3
"""Our name resolution against astroid's inference, for the question the thread check asks first:
what function does each thread start run? On the real corpus and on Django's source tree.

Usage: python benchmarks/astroid_compare.py   (needs `pip install astroid`; not a dependency)

For every thread start the check finds, astroid infers the start's target (``target=``, a pool's
first argument) with the project folder on its path; a start counts as resolved when it infers a
function, a method or a lambda. Ours counts as resolved when the check analysed the start. Both
times are for the same starts, from a fresh process state per tree.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import astroid

from vagrantkit.django.threads import scan_threads

HERE = Path(__file__).resolve().parents[1]
CORPUS = HERE / "tests" / "django" / "threadcorpus" / "real"
DJANGO = Path.home() / ".cache" / "vagrantkit" / "django-src" / "django-5.2.19"


def target_of(call: astroid.nodes.Call) -> astroid.nodes.NodeNG | None:
    for kw in call.keywords or []:
        if kw.arg in ("target", "function", "func", "fn"):
            return kw.value
    name = call.func.attrname if isinstance(call.func, astroid.nodes.Attribute) else getattr(call.func, "name", "")
    if name in ("Thread", "Timer") and len(call.args) >= 2:
        return call.args[1]
    return call.args[0] if call.args else None


def astroid_resolves(root: Path, starts: list[str]) -> tuple[int, float]:
    sys.path.insert(0, str(root))
    resolved = 0
    began = time.perf_counter()
    for start in starts:
        path, _, line = start.rpartition(":")
        try:
            module = astroid.MANAGER.ast_from_file(str(root / path))
        except Exception:
            continue
        calls = [c for c in module.nodes_of_class(astroid.nodes.Call) if c.lineno == int(line)]
        for call in calls:
            target = target_of(call)
            if target is None:
                continue
            try:
                inferred = [i for i in target.infer() if i is not astroid.Uninferable]
            except Exception:
                inferred = []
            if any(
                isinstance(i, (astroid.nodes.FunctionDef, astroid.nodes.Lambda, astroid.BoundMethod)) for i in inferred
            ):
                resolved += 1
                break
    sys.path.remove(str(root))
    return resolved, time.perf_counter() - began


def main() -> None:
    trees = [p for p in sorted(CORPUS.iterdir()) if p.is_dir()] + ([DJANGO] if DJANGO.is_dir() else [])
    totals = {"starts": 0, "ours": 0, "astroid": 0, "ours_s": 0.0, "astroid_s": 0.0}
    for tree in trees:
        began = time.perf_counter()
        scan = scan_threads(tree)
        ours_s = time.perf_counter() - began
        starts = list(scan.starts)
        analysed = {f"{t.path}:{t.line}" for t in scan.threads}
        calls = starts
        found, astroid_s = astroid_resolves(tree, calls)
        totals["starts"] += len(calls)
        totals["ours"] += len([s for s in calls if s in analysed])
        totals["astroid"] += found
        totals["ours_s"] += ours_s
        totals["astroid_s"] += astroid_s
        print(
            f"{tree.name:60} starts {len(calls):3}  ours {len([s for s in calls if s in analysed]):3}  astroid {found:3}  "
            f"ours {ours_s:5.2f} s (whole scan)  astroid {astroid_s:5.2f} s (targets only)"
        )
    print(
        f"all: {totals['starts']} starts; resolved by ours {totals['ours']}, by astroid {totals['astroid']}; "
        f"ours {totals['ours_s']:.1f} s for the whole scan, astroid {totals['astroid_s']:.1f} s for the targets alone"
    )


if __name__ == "__main__":
    main()
