#!/usr/bin/env python3
"""Fast and fresh at once? init's default against `init --watch` + `vagrantkit watch`, in the lab.

Usage (as root, with the packages scripts/test installs):

    python benchmarks/watch.py [--size 1000] [--reps 5] [--edits 200] [--json FILE] [--markdown FILE]

Two lab guests (tests/lab/lab.py: a real guest kernel under QEMU, NFSv3 from nfs-ganesha with no
attribute cache of its own), one run each, the guest's own disk as the baseline:

- **default**: the NFS folder mounted as `vagrantkit init` renders it (`nolock,actimeo=1`);
- **watch**: mounted as `vagrantkit init --watch` renders it (`nolock,actimeo=60,nocto`), with
  `vagrantkit watch` running on the host for the whole run, over the lab guest's virtio port.

Each measures Django's reloader at runserver's 1 s cadence, test discovery, and host edits seen by
a stat-polling reader (in place, by rename, new files, deletes; --edits of them). The goal, from
the watch issue: with watch, a reloader tick and test discovery at most 1.5x the guest disk, and an
edit seen with p95 at most 0.3 s, no miss, over at least 200 edits. Prints the table and whether
each goal is met (exit 1 when one is not); --json writes
``{"default": {...}, "watch": {"reloader_ratio", "discover_ratio", "edit_p50_s", "edit_p95_s",
"edit_misses", "edits"}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console

from tests.lab.lab import LabWatch, bench_in_lab
from vagrantkit.bench import analysis, report
from vagrantkit.bench.model import BenchResult
from vagrantkit.render.options import DEFAULT_MOUNT_OPTIONS, WATCH_MOUNT_OPTIONS

SETUPS = {"default": (DEFAULT_MOUNT_OPTIONS, False), "watch": (WATCH_MOUNT_OPTIONS, True)}
GOALS = (  # (figure, most allowed, what it is)
    ("reloader_ratio", 1.5, "reloader tick (1 s cadence) vs the guest disk"),
    ("discover_ratio", 1.5, "test discovery vs the guest disk"),
    ("edit_p95_s", 0.3, "host edit seen, p95 (s)"),
    ("edit_misses", 0, "host edits never seen within 10 s"),
)
MIN_EDITS = 200


def figures(result: BenchResult, forward: LabWatch | None, options: tuple[str, ...], seconds: float) -> dict[str, Any]:
    def ratio(op: str) -> float | None:
        row = result.row(op)
        cell = row.cell("nfs") if row else None
        return cell.ratio.value if cell and cell.ratio else None

    row = result.row("edit")
    edit = row.cell("nfs") if row else None
    seen = edit.stats.samples if edit else 0
    misses = edit.misses if edit else 0
    out: dict[str, Any] = {
        "mount_options": ",".join(options),
        "reloader_ratio": ratio("reloader"),
        "discover_ratio": ratio("discover"),
        "edit_p50_s": edit.stats.median_ns / 1e9 if edit and seen else None,
        "edit_p95_s": edit.stats.p95_ns / 1e9 if edit and seen else None,
        "edit_max_s": edit.stats.max_ns / 1e9 if edit and seen else None,
        "edit_misses": misses,
        "edits": seen + misses,
        "seconds": round(seconds),
    }
    if forward is not None:
        stats = forward.stats
        out["watch"] = {
            "sessions": stats.sessions if stats else 0,
            "batches": stats.batches if stats else 0,
            "changes": stats.changes if stats else 0,
            "failure": str(forward.failure) if forward.failure else None,
        }
    return out


def _f(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def markdown(rows: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| setup | NFS mount options | reloader tick vs disk | test discovery vs disk | edit seen p50 | p95 | max | "
        "missed / edits |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        label = "init --watch + vagrantkit watch" if name == "watch" else "init's default"
        lines.append(
            f"| {label} | `{r['mount_options']}` | {_f(r['reloader_ratio'], '.2f')}x | "
            f"{_f(r['discover_ratio'], '.2f')}x | {_f(r['edit_p50_s'], '.3f')} s | {_f(r['edit_p95_s'], '.3f')} s | "
            f"{_f(r['edit_max_s'], '.3f')} s | {r['edit_misses']} / {r['edits']} |"
        )
    return "\n".join(lines) + "\n"


def verdicts(watch: dict[str, Any]) -> list[tuple[bool, str]]:
    found = []
    for key, most, what in GOALS:
        value = watch.get(key)
        found.append((value is not None and value <= most, f"{what}: {_f(value, '.3g')} (goal: at most {most:g})"))
    found.append((watch["edits"] >= MIN_EDITS, f"edits: {watch['edits']} (goal: at least {MIN_EDITS})"))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1000", help="files in the fixture tree (default 1000)")
    parser.add_argument("--reps", default="5", help="measured repetitions (default 5)")
    parser.add_argument("--edits", default=str(MIN_EDITS), help=f"host edits per setup (default {MIN_EDITS})")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--markdown", type=Path, help="write a Markdown report here")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a guest is killed")
    args = parser.parse_args()
    console = Console(width=140)
    rows: dict[str, dict[str, Any]] = {}
    for name, (options, forwarded) in SETUPS.items():
        forward = LabWatch() if forwarded else None
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="vagrantkit-lab-share-") as share:
            runner_args = ["--size", args.size, "--reps", args.reps, "--ops", "reloader,discover,edit"]
            document, _, _ = bench_in_lab(
                Path(share),
                [*runner_args, "--edits", args.edits],
                timeout=args.timeout,
                mount_options=options,
                labels=("disk", "nfs"),
                forward=forward,
            )
        result = analysis.analyze(document, where=f"qemu lab, {name}: {','.join(options)}")
        report.render_table(result, console)
        rows[name] = figures(result, forward, options, time.monotonic() - started)
        print(f"{name}: {rows[name]['seconds']} s", flush=True)
    table = markdown(rows)
    print(table)
    judged = verdicts(rows["watch"])
    for ok, text in judged:
        print(f"{'met' if ok else 'NOT MET'}: {text}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    if args.markdown:
        args.markdown.write_text(
            "# Fast and fresh at once: init's default against init --watch + vagrantkit watch (lab)\n\n"
            f"Produced by `python benchmarks/watch.py {' '.join(sys.argv[1:])}`: one lab guest per setup "
            "(QEMU software emulation, NFSv3 from nfs-ganesha without an attribute cache of its own), "
            f"a fixture of {args.size} files, {args.reps} measured repetitions, the guest's own disk = 1.\n\n"
            + table
            + "\n"
            + "".join(f"- {'met' if ok else '**not met**'}: {text}\n" for ok, text in judged)
        )
    return 0 if all(ok for ok, _ in judged) else 1


if __name__ == "__main__":
    sys.exit(main())
