#!/usr/bin/env python3
"""Run `vagrantkit bench` in the lab: a real guest kernel, guest disk vs a 9p share vs NFSv3 vs SMB3.

Usage (as root, with the packages scripts/test installs):

    python benchmarks/lab.py [--size 2000] [--reps 5] [--ops LIST] [--mount-option OPT ...]
                             [--json FILE] [--markdown FILE] [--plot FILE.png]
    python benchmarks/lab.py --curve [--size 1000] [--reps 5] [--edits 20] [--markdown FILE] [--plot FILE.png]

Boots a one-shot QEMU guest (software emulation) through the lab in tests/lab/lab.py, runs the
same runner `vagrantkit bench` sends to a Vagrant guest on four folders — the guest's own ext4
disk (baseline), a 9p share of a scratch host folder, the same folder over NFSv3 from
nfs-ganesha with the mount options `vagrantkit init` renders (or the --mount-option ones, which
replace them as init's do), and the same folder over SMB 3.0.2 from Samba's smbd, mounted with
cifs as Vagrant's SMB folder is — and prints the same table. Every share has a host side: op
edit edits the host folder and times how soon the guest sees it.

``--curve``: one guest per NFS attribute-cache setting (actimeo=1, 3, 10, 60, and 60 with nocto),
each measuring edit-to-visible latency and the reloader at runserver's cadence on the guest disk
and NFS (9p is the same under every NFS option, so left out): the freshness against speed curve, as a Markdown table and a plot. Everything the lab starts is stopped and
every folder it makes is removed, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console

from tests.lab.lab import LABELS, SMB_MOUNT_OPTIONS, bench_in_lab, lab_mount_options
from vagrantkit.bench import analysis, report
from vagrantkit.bench.model import BenchResult
from vagrantkit.render.options import DEFAULT_MOUNT_OPTIONS, InitOptions

CURVE = (
    ("nolock", "actimeo=1"),
    ("nolock", "actimeo=3"),
    ("nolock", "actimeo=10"),
    ("nolock", "actimeo=60"),
    ("nolock", "actimeo=60", "nocto"),
)


def run_once(
    size: str,
    reps: str,
    extra: list[str],
    options: tuple[str, ...],
    timeout: float,
    labels: tuple[str, ...] = LABELS,
) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vagrantkit-lab-share-") as share:
        args = ["--size", size, "--reps", reps, *extra]
        document, _, _ = bench_in_lab(Path(share), args, timeout=timeout, mount_options=options, labels=labels)
    return document, time.monotonic() - started


def describe(document: dict[str, Any], seconds: float, options: tuple[str, ...]) -> str:
    env = document["environment"]
    command = "python benchmarks/lab.py " + shlex.join(sys.argv[1:])
    return (
        f"Produced by `{command}` on the project's Debian 12 machine (2 CPUs, no KVM): a guest "
        f"kernel {env['kernel']['release']} under QEMU software emulation (TCG), Python {env['python']} "
        f"in the guest, the runner's fixture of {document['params']['files']} files, "
        f"{document['params']['reps']} measured repetitions after {document['params']['warmup']} warm-up, "
        f"targets shuffled in every repetition. The run took {seconds:.0f} s.\n\n"
        "- **disk**: the guest's own disk (ext4 on a virtio block device) — the baseline.\n"
        "- **9p**: a QEMU 9p (virtio) share of a host folder — a hypervisor shared folder, the same "
        "class as VirtualBox's vboxsf: every call is a round trip to the hypervisor.\n"
        "- **nfs**: the same host folder over NFSv3 from nfs-ganesha (userspace, on the loopback of "
        "the lab's own network namespace, no attribute cache of its own: `Attr_Expiration_Time = 0`, "
        "as a kernel server or WinNFSd), mounted by the guest kernel with "
        f"`{','.join(lab_mount_options(InitOptions(mount_options=options)))}` (everything after the "
        "folder's own options is only what busybox, which has no mount.nfs, must tell the kernel).\n"
        "- **smb**: the same host folder over SMB 3.0.2 from Samba's smbd (userspace, on the same "
        "loopback), mounted by the guest kernel's cifs as Vagrant's SMB synced folder is: "
        f"`{','.join(SMB_MOUNT_OPTIONS)},sec=ntlmssp` and a user and password (`vers=3.02` is what "
        "`vagrantkit init --sync smb` renders, the rest what Vagrant adds); cifs's own cache defaults "
        "(`cache=strict,actimeo=1`).\n\n"
        "Every write operation's files were read back on every target (size and CRC-32, outside the timed "
        f"region): {_corruption(document)}.\n\n"
    )


def _corruption(document: dict[str, Any]) -> str:
    corrupt = document.get("corrupt") or []
    if not corrupt:
        return "no data lost"
    return "DATA CORRUPTION: " + "; ".join(f"{c['target']}: {c['file']} ({c['op']})" for c in corrupt)


def curve_row(options: tuple[str, ...], result: BenchResult) -> dict[str, Any]:
    edit = result.row("edit")
    tick = result.row("reloader")
    stat = result.row("stat")
    nfs_edit = edit.cell("nfs") if edit else None
    nfs_tick = tick.cell("nfs") if tick else None
    disk_tick = tick.cell("disk") if tick else None
    nfs_stat = stat.cell("nfs") if stat else None
    return {
        "options": ",".join(o for o in options if o != "nolock"),
        "edit_p50_s": nfs_edit.stats.median_ns / 1e9 if nfs_edit and nfs_edit.ns else None,
        "edit_p95_s": nfs_edit.stats.p95_ns / 1e9 if nfs_edit and nfs_edit.ns else None,
        "edit_max_s": nfs_edit.stats.max_ns / 1e9 if nfs_edit and nfs_edit.ns else None,
        "edit_seen": f"{nfs_edit.stats.samples}/{nfs_edit.stats.samples + nfs_edit.misses}" if nfs_edit else "-",
        "tick_ms": nfs_tick.stats.median_ns / 1e6 if nfs_tick else None,
        "tick_ratio": nfs_tick.ratio.value if nfs_tick and nfs_tick.ratio else None,
        "tick_cpu": nfs_tick.cpu_share if nfs_tick else None,
        "disk_tick_ms": disk_tick.stats.median_ns / 1e6 if disk_tick else None,
        "stat_ratio": nfs_stat.ratio.value if nfs_stat and nfs_stat.ratio else None,
    }


def _f(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def curve_markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| NFS options (+ nolock) | host edit seen: p50 | p95 | max | seen | reloader tick (1 s cadence) | "
        "vs guest disk | CPU of one core | stat every file vs disk |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| `{r['options']}` | {_f(r['edit_p50_s'], '.2f')} s | {_f(r['edit_p95_s'], '.2f')} s | "
            f"{_f(r['edit_max_s'], '.2f')} s | {r['edit_seen']} | {_f(r['tick_ms'], '.0f')} ms | "
            f"{_f(r['tick_ratio'], '.1f')}x | {_f(r['tick_cpu'] * 100 if r['tick_cpu'] is not None else None, '.1f')} % | "
            f"{_f(r['stat_ratio'], '.1f')}x |"
        )
    return "\n".join(lines) + "\n"


def curve_plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [r["options"] for r in rows]
    xs = range(len(rows))
    fig, left = plt.subplots(figsize=(7.5, 4.2), dpi=110)
    p50 = [r["edit_p50_s"] if r["edit_p50_s"] is not None else float("nan") for r in rows]
    p95 = [r["edit_p95_s"] if r["edit_p95_s"] is not None else float("nan") for r in rows]
    left.plot(xs, p50, "o-", label="host edit seen, p50 (s)")
    left.plot(xs, p95, "s--", label="host edit seen, p95 (s)")
    for x, r in zip(xs, rows):
        seen, _, total = r["edit_seen"].partition("/")
        if r["edit_p50_s"] is None:
            left.annotate("never seen\nwithin 10 s", (x, 0.5), ha="center", fontsize=8, color="darkred")
        elif seen != total:  # the times are of the edits seen: say how many were not
            missed = f"{int(total) - int(seen)} of {total}\nnever seen\nwithin 10 s"
            left.annotate(missed, (x, 1.0), ha="center", fontsize=8, color="darkred")
    left.set_ylabel("seconds until the guest sees a host edit")
    left.set_xticks(list(xs))
    left.set_xticklabels(labels, rotation=20, ha="right")
    right = left.twinx()
    right.bar(xs, [r["tick_ratio"] or 0 for r in rows], alpha=0.25, color="gray", label="reloader tick vs guest disk")
    right.set_ylabel("reloader tick, times the guest disk's")
    left.set_title("Lab (NFSv3, QEMU TCG guest): freshness against speed, by attribute cache", fontsize=10)
    handles = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    names = left.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    left.legend(handles, names, fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(str(path))
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", help="files in the fixture tree (default 2000; --curve: 1000)")
    parser.add_argument("--reps", default="5", help="measured repetitions (default 5)")
    parser.add_argument("--ops", help="comma-separated operations (default: all)")
    parser.add_argument(
        "--mount-option",
        action="append",
        help="an NFS mount option (repeatable; replaces nolock, actimeo=1 as init's does)",
    )
    parser.add_argument("--edits", default="20", help="edits per share for op edit (default 20)")
    parser.add_argument("--curve", action="store_true", help="the attribute-cache curve (see the module docstring)")
    parser.add_argument("--json", type=Path, help="write the runner's document(s) here")
    parser.add_argument("--markdown", type=Path, help="write a Markdown report here")
    parser.add_argument("--plot", type=Path, help="write a chart (.png or .svg) here")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a guest is killed")
    args = parser.parse_args()
    console = Console(width=140)
    if args.curve:
        rows, documents = [], []
        for options in CURVE:
            extra = ["--ops", args.ops or "stat,reloader,edit", "--edits", args.edits]
            # The curve is NFS's: the 9p share, slow and the same under every NFS option, is left out.
            document, seconds = run_once(args.size or "1000", args.reps, extra, options, args.timeout, ("disk", "nfs"))
            result = analysis.analyze(document, where=f"qemu lab, {','.join(options)}")
            report.render_table(result, console)
            print(f"{','.join(options)}: {seconds:.0f} s")
            rows.append(curve_row(options, result))
            documents.append(document)
        table = curve_markdown(rows)
        print(table)
        if args.json:
            args.json.write_text(json.dumps(documents, indent=2) + "\n")
        if args.plot:
            curve_plot(rows, args.plot)
        if args.markdown:
            args.markdown.write_text(
                "# The attribute-cache curve: how soon a host edit shows, and what a reloader tick costs\n\n"
                + describe(documents[0], 0, CURVE[0]).split(" The run took")[0]
                + ".\n\n"
                + table
            )
        return 0
    options = tuple(args.mount_option) if args.mount_option else DEFAULT_MOUNT_OPTIONS
    extra = ["--edits", args.edits] + (["--ops", args.ops] if args.ops else [])
    document, seconds = run_once(args.size or "2000", args.reps, extra, options, args.timeout)
    result = analysis.analyze(document, where="qemu lab")
    report.render_table(result, console)
    print(f"lab run: {seconds:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    if args.plot:
        report.write_plot(result, args.plot, title="Lab (QEMU TCG guest): guest ext4 disk = 1 vs 9p vs NFSv3 vs SMB3")
    if args.markdown:
        args.markdown.write_text(
            "# Lab results: guest disk vs 9p vs NFSv3 vs SMB3, in a real guest kernel\n\n"
            + describe(document, seconds, options)
            + "Cells: median · items/s · **time ratio to the guest disk** [bootstrap 95% interval]; host edit "
            "seen: from the host's edit to the guest's first stat that shows it. Software emulation makes "
            "every absolute figure slow; the ratios are what carries over.\n\n"
            + report.to_markdown(result)
            + f"\nRecommendation printed: `{result.recommendation}`\n"
        )
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
