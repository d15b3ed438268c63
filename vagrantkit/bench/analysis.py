"""From a runner document to a :class:`~vagrantkit.bench.model.BenchResult`: statistics, ratios, the recommendation.

:func:`analyze` needs nothing but a runner JSON document, so a document captured anywhere (the
lab's QEMU guest) renders like a `bench` run: ``report.render_table(analyze(json.load(f)))``.
"""

from __future__ import annotations

import math
import os
import shlex
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from vagrantkit.bench import runner as bench_runner
from vagrantkit.bench.model import BenchResult, BenchStatus, Cell, Corruption, OpRow, TargetInfo
from vagrantkit.bench.stats import OpStats, compare, ratio, slower_or_faster, summarize
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
    corruption = tuple(
        Corruption(r["target"], r["op"], r["file"], bench_runner.corruption_message(r), r)
        for r in doc.get("corrupt", ())
    )
    lost = {c.target for c in corruption}
    targets = tuple(_target_info(t) for t in doc["targets"])
    labels = [t.label for t in targets]
    chosen = baseline or doc["params"]["baseline"]
    if chosen not in labels:
        raise InvalidValue("--baseline", chosen, "one of the labels: " + ", ".join(labels))
    targets = tuple(replace(t, baseline=t.label == chosen, corrupt=t.label in lost) for t in targets)
    results = doc["results"]
    rows = []
    # The comparisons of this run with the baseline: a difference is named only when it clears the
    # run-wide (Bonferroni) interval, so a run of many operations names none by chance.
    family = max(1, len(doc["params"]["ops"]) * (len(labels) - 1))
    for op in doc["params"]["ops"]:
        base = results.get(chosen, {}).get(op)
        cells = []
        for label in labels:
            slot = results.get(label, {}).get(op)
            if not slot or not (slot["ns"] or slot.get("misses")):
                continue  # not measured here (op edit on a folder with no host side: n/a)
            sleep = doc["params"].get("reloader_sleep", bench_runner.RELOADER_SLEEP)
            # A folder that lost data gets no ratio, and a baseline that did gives none.
            compared = label != chosen and not lost & {label, chosen}
            cell = _cell(op, label, slot, base if compared else None, sleep, family)
            cells.append(replace(cell, corrupt=label in lost))
        if cells:
            rows.append(_row(op, cells))
    status = BenchStatus.OK if doc.get("status") == "ok" else BenchStatus.FAILED
    warnings = [*warnings, *_leftover_notes(doc, where)]
    advice = recommend(tuple(rows), targets, chosen)
    if status is BenchStatus.FAILED:
        advice = "No recommendation: the run failed (see the errors); what was measured is shown."
    return BenchResult(
        status=status,
        where=where,
        baseline=chosen,
        targets=targets,
        rows=tuple(rows),
        recommendation=advice,
        params=dict(doc["params"]),
        environment=dict(doc["environment"]),
        errors=tuple(doc.get("errors", ())),
        warnings=tuple(warnings),
        document=doc,
        corruption=corruption,
    )


def removal_command(path: str, where: str) -> str:
    """How to remove a scratch folder bench could not: in the guest through `vagrant ssh`, else here."""
    if where.startswith("vagrant:"):
        machine = where.split(":", 1)[1].split(" ", 1)[0]
        return f"vagrant ssh {machine} -c {shlex.quote('rm -rf ' + shlex.quote(path))}"
    if os.name == "nt":
        return f'Remove-Item -Recurse -Force "{path}"'
    return f"rm -rf {shlex.quote(path)}"


def _leftover_notes(doc: Mapping[str, Any], where: str) -> list[str]:
    """Scratch folders of earlier runs found in the targets, and this run's that could not be removed."""
    notes = [
        f"{path} is left from an earlier bench run that was stopped; remove it: {removal_command(path, where)}"
        for path in doc.get("leftovers", ())
    ]
    notes += [
        f"{path} could not be removed (its file system stopped answering?); once it answers: {removal_command(path, where)}"
        for path in doc.get("cleanup", {}).get("left", ())
    ]
    return notes


def _cell(
    op: str,
    label: str,
    slot: Mapping[str, Any],
    base: Mapping[str, Any] | None,
    sleep: float = bench_runner.RELOADER_SLEEP,
    family: int = 1,
) -> Cell:
    ns = [int(n) for n in slot["ns"]]
    unit = slot.get("unit", "file")
    if op == "edit":
        # Latencies, not batch times: no ratio to a baseline, which has no host side; misses kept.
        misses = len(slot.get("misses", ()))
        stats = summarize(ns, 1, unit) if ns else OpStats(1, unit, 0, math.inf, math.inf, math.inf, math.inf)
        return Cell(label, stats, None, tuple(ns), misses=misses)
    r = ratio(ns, base["ns"], family=family) if base and base["ns"] else None
    share = None
    if op == "reloader" and slot.get("cpu_ns"):
        # One tick, then RELOADER_SLEEP asleep, as under runserver: the CPU one tick costs per cycle.
        cycle_s = statistics.median(ns) / 1e9 + float(sleep)
        share = statistics.median(slot["cpu_ns"]) / 1e9 / cycle_s
    return Cell(label, summarize(ns, slot["count"], unit), r, tuple(ns), cpu_share=share)


def _row(op: str, cells: list[Cell]) -> OpRow:
    """The row of ``op``: the winner has the lowest median; ``decisive`` when its lead is no tie.

    A folder that lost data wins nothing (unless every one did).
    """
    best = min([c for c in cells if not c.corrupt] or cells, key=lambda c: c.stats.median_ns)
    if op == "edit":
        rivals = [c for c in cells if c is not best and c.ns]
        decisive = bool(best.ns and rivals) and all(ratio(best.ns, c.ns, family=len(cells)).decisive for c in rivals)
    elif best.ratio is None:
        decisive = all(c.ratio.decisive for c in cells if c.ratio is not None)
    else:
        decisive = best.ratio.decisive and best.ratio.value < 1
    return OpRow(op, tuple(cells), best.label, decisive)


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
    return r.value if r.decisive else 1.0


def recommend(rows: Sequence[OpRow], targets: Sequence[TargetInfo], baseline: str) -> str:
    """One line a person can act on, e.g. ``nfs is 23x faster than vboxsf for the reloader; writes are 1.4x slower``."""
    by_op = {r.op: r for r in rows}
    compared = [r for r in rows if r.op != "edit"]  # edit latencies are shown, not compared with a baseline
    head = next((by_op[op] for op in HEADLINE_OPS if op in by_op), compared[0] if compared else None)
    others = [t.label for t in targets if t.label != baseline and head and head.cell(t.label)]
    if head is None or not others:
        return "Only one folder was measured: nothing to compare." + _edits(by_op.get("edit"))
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
    return line + "." + _edits(by_op.get("edit"))


def _edits(row: OpRow | None) -> str:
    """`` A host edit shows after 0.52 s in nfs, 0.01 s in vboxsf (median).`` or nothing."""
    if row is None:
        return ""
    seen = [f"{c.stats.median_ns / 1e9:.2f} s in {c.label}" for c in row.cells if c.ns]
    missed = [c.label for c in row.cells if not c.ns]
    text = f" A host edit shows after {', '.join(seen)} (median)" if seen else " No host edit was seen in time"
    if missed and seen:
        text += f"; none in {', '.join(missed)}"
    return text + "."
