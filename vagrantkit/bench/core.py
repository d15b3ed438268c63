"""`vagrantkit bench`: run the runner where asked, and turn its raw samples into a :class:`BenchResult`.

:func:`analyze` needs nothing but a runner JSON document, so a document captured anywhere (the
lab's QEMU guest) renders like a `bench` run: ``report.render_table(analyze(json.load(f)))``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from vagrantkit.bench import runner as bench_runner
from vagrantkit.bench.stats import OpStats, Ratio, compare, ratio, slower_or_faster, summarize
from vagrantkit.bench.targets import Target, parse_local
from vagrantkit.bench.transport import LocalTransport, Progress, Transport
from vagrantkit.errors import InvalidValue, VagrantkitError
from vagrantkit.filesystems import Kind, kind_of

MIN_REPS = 5
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


class BenchStatus(str, enum.Enum):
    OK = "ok"
    FAILED = "failed"


@dataclass(frozen=True)
class TargetInfo:
    """A measured folder and what it is mounted as."""

    label: str
    path: str
    baseline: bool
    fs_type: str | None
    mount_point: str | None
    mount_options: str | None
    mount_source: str | None

    @property
    def kind(self) -> Kind:
        return kind_of(self.fs_type)


@dataclass(frozen=True)
class Cell:
    """One operation on one target; ``ratio`` is None for the baseline."""

    label: str
    stats: OpStats
    ratio: Ratio | None
    ns: tuple[int, ...] = ()


@dataclass(frozen=True)
class OpRow:
    """One operation across targets; ``winner`` has the lowest median time.

    ``decisive`` is False when the winner's lead over the baseline (or the baseline's over every
    other target) lies inside the bootstrap interval: a tie, as far as these samples can tell.
    """

    op: str
    cells: tuple[Cell, ...]
    winner: str
    decisive: bool = True

    def cell(self, label: str) -> Cell | None:
        return next((c for c in self.cells if c.label == label), None)


@dataclass(frozen=True)
class BenchResult:
    """Everything one bench run found; rendered by :mod:`vagrantkit.bench.report`."""

    status: BenchStatus
    where: str
    baseline: str
    targets: tuple[TargetInfo, ...]
    rows: tuple[OpRow, ...]
    recommendation: str
    params: Mapping[str, Any]
    environment: Mapping[str, Any]
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    document: Mapping[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 0 if self.status is BenchStatus.OK else 1

    def row(self, op: str) -> OpRow | None:
        return next((r for r in self.rows if r.op == op), None)


@dataclass(frozen=True)
class BenchOptions:
    """What the user asked for (validated by :func:`runner_args`)."""

    local: tuple[str, ...] = ()
    baseline: str | None = None
    profile: str = "standard"
    ops: str | None = None
    size: str | None = None
    reps: int | None = None
    warmup: int = 1
    seed: int = 0
    command: str | None = None
    copy: str | None = None
    project: Path = Path()
    machine: str | None = None


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


def runner_args(
    options: BenchOptions, targets: Sequence[Target], baseline: str, run_id: str | None = None
) -> list[str]:
    """The runner's command line for ``options``, validated on this side first (exit 2, nothing written).

    Raises:
        InvalidValue: A bad --profile, --ops, --size, --reps or --warmup.
    """
    if options.profile not in bench_runner.PROFILES:
        raise InvalidValue("--profile", options.profile, ", ".join(bench_runner.PROFILES))
    if options.size is not None:
        try:
            bench_runner.parse_size(options.size)
        except bench_runner.UsageError:
            raise InvalidValue(
                "--size",
                options.size,
                f"S, M or a number of files from {bench_runner.MIN_FILES} to {bench_runner.MAX_FILES}",
            ) from None
    if options.ops is not None:
        try:
            bench_runner.parse_ops(options.ops, options.command is not None)
        except bench_runner.UsageError:
            raise InvalidValue(
                "--ops", options.ops, "a comma-separated list of " + ", ".join(bench_runner.OPERATIONS)
            ) from None
    if options.reps is not None and options.reps < MIN_REPS:
        raise InvalidValue("--reps", options.reps, f"a number >= {MIN_REPS} (fewer gives no meaningful interval)")
    if options.warmup < 0:
        raise InvalidValue("--warmup", options.warmup, "a number >= 0")
    if options.copy is not None and options.command is None:
        raise InvalidValue("--copy", options.copy, "a folder, together with --command")
    args = [t.argument() for t in targets]
    args += ["--baseline", baseline, "--profile", options.profile, "--warmup", str(options.warmup)]
    args += ["--seed", str(options.seed)]
    for flag, value in (("--ops", options.ops), ("--size", options.size), ("--command", options.command)):
        if value is not None:
            args += [flag, value]
    if options.reps is not None:
        args += ["--reps", str(options.reps)]
    if options.copy is not None:
        args += ["--copy", options.copy]
    if run_id is not None:
        args += ["--id", run_id]
    return args


def run_bench(
    options: BenchOptions,
    *,
    transport: Transport | None = None,
    adapter: Any = None,
    progress: Progress | None = None,
    notify: Callable[[str], None] | None = None,
) -> BenchResult:
    """Measure the folders ``options`` names and return the analysed result.

    With ``options.local``: those folders on this machine (``transport`` defaults to running the
    runner in-process). Without: the project's Vagrant guest, through ``adapter`` (see
    :mod:`vagrantkit.bench.guest`).

    Raises:
        InvalidValue: Bad input (exit 2), found before anything is written.
        VagrantkitError: The run could not be done.
    """
    if options.local:
        targets, baseline = parse_local(options.local, options.baseline)
        if options.copy is not None and not Path(options.copy).expanduser().is_dir():
            raise InvalidValue("--copy", options.copy, "an existing folder")
        args = runner_args(options, targets, baseline)
        doc = (transport or LocalTransport()).run_runner(args, progress)
        return analyze(doc, where="local")
    from vagrantkit.bench.guest import run_in_vagrant

    return run_in_vagrant(options, adapter=adapter, transport=transport, notify=notify)


def analyze_file(path: Path, *, baseline: str | None = None) -> BenchResult:
    """:func:`analyze` a runner document saved in ``path`` (``vagrantkit bench --from FILE``).

    Raises:
        InvalidValue: The file is not JSON, or not a runner document (exit 2).
    """
    import json

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidValue("--from", str(path), f"a runner JSON document ({exc})") from None
    if isinstance(doc, dict) and doc.get("command") == "bench" and isinstance(doc.get("data"), dict):
        doc = doc["data"].get("runner")  # what `bench --json FILE` wrote: the runner's document is inside
    if not isinstance(doc, dict) or doc.get("schema") != bench_runner.SCHEMA:
        raise InvalidValue(
            "--from", str(path), f"a JSON document with schema {bench_runner.SCHEMA!r}, or one `bench --json` wrote"
        )
    try:
        return analyze(doc, where=str(doc.get("where", "runner document")), baseline=baseline)
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise InvalidValue("--from", str(path), f"a complete runner document (missing or malformed: {exc})") from None


def check_from_alone(given: Mapping[str, Any]) -> None:
    """``--from`` measures nothing: refuse options that only make sense for a measurement (exit 2)."""
    defaults = {f.name: f.default for f in fields(BenchOptions)}
    extra = [
        name for name, value in given.items() if name != "baseline" and value not in (defaults.get(name), (), None)
    ]
    if extra:
        name = extra[0]
        raise InvalidValue(
            "--" + name, given[name], "nothing together with --from (it renders a saved run and measures nothing)"
        )
