"""Render a :class:`BenchResult`: rich table, CSV, the versioned JSON envelope, a bar chart.

Every function here works on a result alone, so a runner document captured anywhere renders the
same way: ``render_table(analyze(json.loads(text)), Console())``.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vagrantkit.bench.model import BenchResult, Cell
from vagrantkit.bench.stats import slower_or_faster
from vagrantkit.errors import InvalidValue, VagrantkitError
from vagrantkit.result import dumps, envelope

if TYPE_CHECKING:
    from rich.console import Console

BENCH_SCHEMA = "vagrantkit-bench/1"
PLOT_SUFFIXES = (".png", ".svg")
OP_TITLES = {
    "stat": "stat existing",
    "stat_missing": "stat missing",
    "walk": "walk tree",
    "read": "open+read",
    "create": "create+write",
    "append": "append",
    "rename": "rename",
    "delete": "delete",
    "mkdir_rmdir": "mkdir+rmdir",
    "reloader": "reloader tick",
    "discover": "test discovery",
    "pyc": "compile .pyc",
    "command": "your command",
    "edit": "host edit seen",
}
CSV_FIELDS = (
    "op",
    "target",
    "fs_type",
    "baseline",
    "count",
    "unit",
    "samples",
    "median_ms",
    "p95_ms",
    "min_ms",
    "max_ms",
    "ops_per_s",
    "ratio",
    "ratio_low",
    "ratio_high",
    "winner",
    "tie",
    "misses",
    "cpu_share",
)


def ms(ns: float) -> str:
    """Milliseconds with three significant figures."""
    value = ns / 1e6
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def rate(per_s: float) -> str:
    """``568k/s``, ``1.2M/s``, ``791/s``."""
    if per_s >= 1e6:
        return f"{per_s / 1e6:.1f}M/s"
    if per_s >= 1e4:
        return f"{per_s / 1e3:.0f}k/s"
    return f"{per_s:.0f}/s"


def ratio_text(cell: Cell) -> str:
    """``8.2x slower`` and under it the time ratio with its interval, ``x8.21 [7.90-8.60]``; or ``baseline``."""
    if cell.corrupt:
        return "DATA CORRUPT\nno ratio"
    if cell.ratio is None:
        return "baseline\n"
    r = cell.ratio
    return f"{slower_or_faster(r.value)}\nx{r.value:.2f} [{r.low:.2f}-{r.high:.2f}]"


def cell_text(op: str, cell: Cell) -> str:
    """One cell of the table: batch times and the ratio; for op edit the latency, for the reloader its CPU."""
    s = cell.stats
    if op == "edit":
        seen = f"{s.samples} of {s.samples + cell.misses} seen"
        if not s.samples:
            return f"none seen\n{seen}\n"
        return f"{ms(s.median_ns)} ms (p95 {ms(s.p95_ns)})\nmax {ms(s.max_ns)} ms\n{seen}"
    text = f"{ms(s.median_ns)} ms ({ms(s.p95_ns)})\n{rate(s.ops_per_s)}\n{ratio_text(cell)}"
    if cell.cpu_share is not None:
        text += f"\n{cell.cpu_share:.1%} of a CPU"
    return text


def render_table(result: BenchResult, console: Console) -> None:
    """Targets side by side per operation, the ratio to the baseline, the winner; then the recommendation."""
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    kinds = {t.label: t for t in result.targets}
    params = result.params
    env = result.environment
    kernel = env.get("kernel", {})
    title = (
        f"vagrantkit bench: {result.where}, {kernel.get('sysname', '?')} {kernel.get('release', '?')}, "
        f"{params.get('files')} files, {params.get('reps')} reps (+{params.get('warmup')} warm-up)"
    )
    table = Table(
        title=Text(title),
        title_justify="left",
        caption=Text(
            "median ms (p95) · items/s · vs baseline: time ratio [bootstrap 95% CI]; ≈ winner: a tie (within "
            "10 % or the CI); host edit seen: from the host's edit to the guest's first stat that shows it; "
            "n/a: no host side; reloader: a tick every second, as runserver's"
        ),
    )
    table.add_column("operation")
    table.add_column("n", justify="right")
    for t in result.targets:
        fs = kinds[t.label].fs_type or "?"
        head = f"{t.label}\n{fs}{' (baseline)' if t.baseline else ''}"
        table.add_column(escape(head + ("\nDATA CORRUPT" if t.corrupt else "")), justify="right")
    table.add_column("winner")
    for row in result.rows:
        cells: list[Text | str] = []
        for t in result.targets:
            c = row.cell(t.label)
            if c is None:
                cells.append("n/a" if row.op == "edit" else "-")
                continue
            cells.append(Text(cell_text(row.op, c)))
        count = row.cells[0].stats.count if row.op != "edit" else row.cells[0].stats.samples + row.cells[0].misses
        winner = row.winner if row.decisive else f"≈ {row.winner}"
        table.add_row(OP_TITLES.get(row.op, row.op), str(count), *cells, Text(winner), end_section=True)
    console.print(table)
    mounts = Table(title="targets", title_justify="left", show_edge=False)
    for name in ("label", "path", "fs type", "mount options", "source"):
        mounts.add_column(name, overflow="fold")
    for t in result.targets:
        mounts.add_row(*(Text(v or "?") for v in (t.label, t.path, t.fs_type, t.mount_options, t.mount_source)))
    console.print(mounts)
    if result.corruption:
        console.print(
            Text("Data corruption: these folders did not keep what was written; their times are not compared")
        )
        for lost in result.corruption:
            console.print(Text(f"  {lost.message}"))
    console.print(Text(result.recommendation))


def _finite(value: float) -> float | None:
    """JSON has no infinity: an edit never seen has no latency (None), its misses say why."""
    return value if math.isfinite(value) else None


def json_data(result: BenchResult) -> dict[str, Any]:
    """The ``data`` of the JSON envelope: params, environment, targets, results, the raw samples."""
    return {
        "schema": BENCH_SCHEMA,
        "where": result.where,
        "baseline": result.baseline,
        "params": dict(result.params),
        "environment": dict(result.environment),
        "targets": [
            {
                "label": t.label,
                "path": t.path,
                "baseline": t.baseline,
                "kind": t.kind.value,
                "fs_type": t.fs_type,
                "mount_point": t.mount_point,
                "mount_options": t.mount_options,
                "mount_source": t.mount_source,
                "corrupt": t.corrupt,
            }
            for t in result.targets
        ],
        "results": [
            {
                "op": row.op,
                "winner": row.winner,
                "decisive": row.decisive,
                "targets": {
                    c.label: {
                        "count": c.stats.count,
                        "unit": c.stats.unit,
                        "samples": c.stats.samples,
                        "median_ns": _finite(c.stats.median_ns),
                        "p95_ns": _finite(c.stats.p95_ns),
                        "min_ns": _finite(c.stats.min_ns),
                        "max_ns": _finite(c.stats.max_ns),
                        "ops_per_s": _finite(c.stats.ops_per_s),
                        "ratio": None
                        if c.ratio is None
                        else {"value": c.ratio.value, "low": c.ratio.low, "high": c.ratio.high},
                        "misses": c.misses,
                        "cpu_share": c.cpu_share,
                        "corrupt": c.corrupt,
                    }
                    for c in row.cells
                },
            }
            for row in result.rows
        ],
        "recommendation": result.recommendation,
        # Apart from the errors: a folder that lost data, and one that stopped answering.
        "corruption": [dict(c.record, message=c.message) for c in result.corruption],
        "stalled": list(result.document.get("stalled", ())),
        "warnings": list(result.warnings),
        "runner": dict(result.document),
    }


def to_json(result: BenchResult) -> str:
    """The versioned envelope ``{"vagrantkit": "1", "command": "bench", ...}`` as text."""
    return dumps(envelope("bench", result.status.value, result.exit_code, json_data(result), result.errors))


def _csv_ms(ns: float) -> str:
    return f"{ns / 1e6:.6f}" if math.isfinite(ns) else ""


def to_csv(result: BenchResult) -> str:
    """One line per operation and target (CSV_FIELDS)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    fs = {t.label: t.fs_type for t in result.targets}
    for row in result.rows:
        for c in row.cells:
            s = c.stats
            writer.writerow(
                {
                    "op": row.op,
                    "target": c.label,
                    "fs_type": fs.get(c.label) or "",
                    "baseline": c.label == result.baseline,
                    "count": s.count,
                    "unit": s.unit,
                    "samples": s.samples,
                    "median_ms": _csv_ms(s.median_ns),
                    "p95_ms": _csv_ms(s.p95_ns),
                    "min_ms": _csv_ms(s.min_ns),
                    "max_ms": _csv_ms(s.max_ns),
                    "ops_per_s": f"{s.ops_per_s:.1f}" if math.isfinite(s.ops_per_s) else "",
                    "ratio": "" if c.ratio is None else f"{c.ratio.value:.4f}",
                    "ratio_low": "" if c.ratio is None else f"{c.ratio.low:.4f}",
                    "ratio_high": "" if c.ratio is None else f"{c.ratio.high:.4f}",
                    "winner": row.winner == c.label,
                    "tie": row.winner == c.label and not row.decisive,
                    "misses": c.misses if row.op == "edit" else "",
                    "cpu_share": "" if c.cpu_share is None else f"{c.cpu_share:.4f}",
                }
            )
    return out.getvalue()


def check_plot_path(path: Path) -> None:
    """Refuse a plot path before the run: the suffix must be .png or .svg, matplotlib importable.

    Raises:
        InvalidValue: Another suffix (exit 2).
        VagrantkitError: matplotlib is not installed.
    """
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise InvalidValue("--plot", str(path), "a file name ending in .png or .svg")
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise VagrantkitError("--plot needs matplotlib, which is not installed", hint="pip install 'vagrantkit[plot]'")


def plot(result: BenchResult, path: Path, *, title: str | None = None) -> None:
    """A grouped bar chart: each target's time relative to the baseline (log scale, 95% CI whiskers).

    matplotlib is imported here only (an optional extra), with the Agg backend: no display needed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    others = [t for t in result.targets if not t.baseline]
    # Ratios to the baseline only: op edit has none (its latencies are in the table).
    rows = [r for r in result.rows if any(c.ratio for t in others if (c := r.cell(t.label)))]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(rows) + 2), 4.2), dpi=110)
    width = 0.8 / max(1, len(others))
    for i, t in enumerate(others):
        xs, ys, lo, hi = [], [], [], []
        for j, row in enumerate(rows):
            c = row.cell(t.label)
            if c is None or c.ratio is None:
                continue
            xs.append(j + (i - (len(others) - 1) / 2) * width)
            ys.append(c.ratio.value)
            lo.append(c.ratio.value - c.ratio.low)
            hi.append(c.ratio.high - c.ratio.value)
        label = f"{t.label} ({t.fs_type or '?'})"
        ax.bar(xs, ys, width=width, label=label, yerr=[lo, hi], capsize=2)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([OP_TITLES.get(r.op, r.op) for r in rows], rotation=35, ha="right")
    base = next(t for t in result.targets if t.baseline)
    ax.set_ylabel(f"time vs {base.label} ({base.fs_type or '?'}) = 1")
    ax.set_title(title or f"vagrantkit bench ({result.where}): lower is faster", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(
        str(path),
        format=path.suffix.lower().lstrip("."),
        metadata={"Date": None} if path.suffix.lower() == ".svg" else None,
    )
    plt.close(fig)


def check_output_paths(outputs: dict[str, Path | None]) -> None:
    """Refuse, before anything runs (exit 2), an output path whose folder does not exist, and a
    second output on stdout ("-"): two formats in one stream could not be told apart."""
    on_stdout: list[str] = []
    for option, path in outputs.items():
        if path is None:
            continue
        if str(path) == "-":
            if on_stdout:
                raise InvalidValue(option, "-", f"a file, since {on_stdout[0]} already prints to stdout")
            on_stdout.append(option)
        elif not path.absolute().parent.is_dir():
            raise InvalidValue(option, str(path), "a file in an existing folder")


def write_text(path: Path, text: str) -> None:
    """Write an output file atomically (a crash leaves the old file or the new one)."""
    from vagrantkit.files import atomic_write, reporting_write_errors

    with reporting_write_errors(path):
        atomic_write(path, text)


def write_plot(result: BenchResult, path: Path, *, title: str | None = None) -> None:
    """:func:`plot` into a temporary file next to ``path``, then rename it over ``path``."""
    from vagrantkit.files import replacing, reporting_write_errors

    with reporting_write_errors(path), replacing(path, suffix=".tmp" + path.suffix) as tmp:
        plot(result, tmp, title=title)


class ProgressDisplay:
    """Turns the runner's progress events into a rich bar on a terminal, or a plain line per repetition.

    Use as a context manager; the instance is the ``progress`` callback for ``run_bench``.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.bar: Any = None
        self.task: Any = None
        self.last: tuple[str, Any] | None = None

    def __enter__(self) -> ProgressDisplay:
        if self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
            )
            self.bar.start()
            self.task = self.bar.add_task("bench", total=None)
        return self

    def __call__(self, event: dict[str, Any]) -> None:
        done, total = event["progress"]
        phase = event.get("phase")
        if phase == "fixture":
            text = f"building the fixture in {event['target']}"
        else:
            rep = event.get("rep", 0)
            text = "warm-up" if phase == "warmup" else f"repetition {rep}/{event.get('reps', '?')}"
            text = f"{text}: {OP_TITLES.get(event.get('op', ''), event.get('op', ''))}"
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total, description=text)
            return
        key = (phase or "", event.get("target") if phase == "fixture" else event.get("rep"))
        if key != self.last:
            self.last = key
            self.console.print(f"bench: {text.split(':')[0]}", highlight=False)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()


def to_markdown(result: BenchResult) -> str:
    """The table as GitHub Markdown, for an issue or a README: median, items/s and ratio per target."""
    head = ["operation", "n"] + [f"{t.label} ({t.fs_type or '?'})" for t in result.targets] + ["winner"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * len(result.targets) + "---|"]
    for row in result.rows:
        cells = []
        for t in result.targets:
            c = row.cell(t.label)
            if c is None:
                cells.append("n/a" if row.op == "edit" else "-")
                continue
            if row.op == "edit":
                cells.append(cell_text(row.op, c).replace("\n", " · "))
                continue
            text = f"{ms(c.stats.median_ns)} ms · {rate(c.stats.ops_per_s)}"
            if c.cpu_share is not None:
                text += f" · {c.cpu_share:.1%} CPU"
            if c.corrupt:
                text += " · **data corrupt**"
            elif c.ratio is not None:
                text += f" · **x{c.ratio.value:.2f}** [{c.ratio.low:.2f}–{c.ratio.high:.2f}]"
            cells.append(text)
        winner = row.winner if row.decisive else f"≈ {row.winner}"
        count = row.cells[0].stats.count if row.op != "edit" else row.cells[0].stats.samples + row.cells[0].misses
        lines.append(f"| {OP_TITLES.get(row.op, row.op)} | {count} | " + " | ".join(cells) + f" | {winner} |")
    return "\n".join(lines) + "\n"
