"""From a runner document to a :class:`~vagrantkit.bench.model.BenchResult`: statistics, ratios, the recommendation.

:func:`analyze` needs nothing but a runner JSON document, so a document captured anywhere (the
lab's QEMU guest) renders like a `bench` run: ``report.render_table(analyze(json.load(f)))``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from vagrantkit.bench import runner as bench_runner
from vagrantkit.bench.model import BenchResult, BenchStatus, Cell, OpRow, TargetInfo
from vagrantkit.bench.stats import compare, ratio, slower_or_faster, summarize
from vagrantkit.errors import InvalidValue, VagrantkitError

# Which operation speaks for "everyday speed" in the recommendation, best first.
HEADLINE_OPS = ("command", "reloader", "discover", "stat", "read", "walk")
HEADLINE_NAMES = {
    "command": "your command",
    "reloader": "the reloader",
    "discover": "test discovery",
    "stat": "stat",
    "read": "reads",
    "walk": "directory walks",
}
WRITE_OPS = ("create", "append", "pyc")


def analyze(
    doc: Mapping[str, Any], *, where: str = "local", baseline: str | None = None, warnings: Sequence[str] = ()
) -> BenchResult:
    """Statistics, ratios to the baseline and the recommendation from a runner document alone.

    Args:
        doc: What runner.py printed (``schema`` ``vagrantkit-bench-runner/1``).
        where: Where it ran, for the report (``local``, ``vagrant:default (virtualbox)``, ``qemu``).
        baseline: Compare with this target instead of the one the runner was given.
        warnings: Notes from setting the run up (a share that could not be added...).

    Raises:
        VagrantkitError: ``doc`` is not a runner document.
    """
    if doc.get("schema") != bench_runner.SCHEMA:
        raise VagrantkitError(
            f"not a bench runner document (schema {doc.get('schema')!r}, expected {bench_runner.SCHEMA})"
        )
    targets = tuple(_target_info(t) for t in doc["targets"])
    labels = [t.label for t in targets]
    chosen = baseline or doc["params"]["baseline"]
    if chosen not in labels:
        raise InvalidValue("--baseline", chosen, "one of the labels: " + ", ".join(labels))
    targets = tuple(replace(t, baseline=t.label == chosen) for t in targets)
    results = doc["results"]
    rows = []
    for op in doc["params"]["ops"]:
        base = results.get(chosen, {}).get(op)
        cells = []
        for label in labels:
            slot = results.get(label, {}).get(op)
            if not slot or not slot["ns"]:
                continue
            r = None
            if label != chosen and base and base["ns"]:
                r = ratio(slot["ns"], base["ns"])
            stats = summarize(slot["ns"], slot["count"], slot.get("unit", "file"))
            cells.append(Cell(label, stats, r, tuple(slot["ns"])))
        if cells:
            best = min(cells, key=lambda c: c.stats.median_ns)
            if best.ratio is None:
                decisive = all(c.ratio.low > 1 for c in cells if c.ratio is not None)
            else:
                decisive = best.ratio.high < 1
            rows.append(OpRow(op, tuple(cells), best.label, decisive))
    status = BenchStatus.OK if doc.get("status") == "ok" else BenchStatus.FAILED
    return BenchResult(
        status=status,
        where=where,
        baseline=chosen,
        targets=targets,
        rows=tuple(rows),
        recommendation=recommend(tuple(rows), targets, chosen),
        params=dict(doc["params"]),
        environment=dict(doc["environment"]),
        errors=tuple(doc.get("errors", ())),
        warnings=tuple(warnings),
        document=doc,
    )


def _target_info(t: Mapping[str, Any]) -> TargetInfo:
    mount = t.get("mount") or {}
    return TargetInfo(
        label=t["label"],
        path=t["path"],
        baseline=bool(t.get("baseline")),
        fs_type=mount.get("fs_type"),
        mount_point=mount.get("point"),
        mount_options=mount.get("options"),
        mount_source=mount.get("source"),
    )


def _median(row: OpRow | None, label: str) -> float | None:
    cell = row.cell(label) if row else None
    return cell.stats.median_ns if cell else None


def _versus(row: OpRow | None, a: str, b: str) -> float | None:
    """Time ratio a / b for ``row``, or 1.0 when the bootstrap interval says it could be noise."""
    ca, cb = (row.cell(a), row.cell(b)) if row else (None, None)
    if ca is None or cb is None:
        return None
    # b is the baseline (the one cell without a ratio): analyze stored this very ratio (same samples, same seed).
    r = ca.ratio if cb.ratio is None and ca.ratio is not None else ratio(ca.ns, cb.ns)
    return r.value if r.significant else 1.0


def recommend(rows: Sequence[OpRow], targets: Sequence[TargetInfo], baseline: str) -> str:
    """One line a person can act on, e.g. ``nfs is 23x faster than vboxsf for the reloader; writes are 1.4x slower``."""
    by_op = {r.op: r for r in rows}
    head = next((by_op[op] for op in HEADLINE_OPS if op in by_op), rows[0] if rows else None)
    others = [t.label for t in targets if t.label != baseline and head and head.cell(t.label)]
    if head is None or not others:
        return "Only one folder was measured: nothing to compare."
    name = HEADLINE_NAMES.get(head.op, head.op)
    write = next((by_op[op] for op in WRITE_OPS if op in by_op and op != head.op), None)
    if len(others) == 1:
        a, b = others[0], baseline
    else:
        # Several shares: the choice is between the fastest and the slowest of them, not the guest disk.
        ranked = sorted(others, key=lambda label: _median(head, label) or 0.0)
        a, b = ranked[0], ranked[-1]
    line = f"{compare(a, b, _versus(head, a, b) or 1.0)} for {name}"
    writes = _versus(write, a, b)
    if writes is not None:
        line += f"; writes are {slower_or_faster(writes)}"
    if len(others) > 1:
        base = _versus(head, baseline, a)
        if base is not None:
            line += f" ({compare('the baseline ' + baseline, a, base)})"
    return line + "."
