#!/usr/bin/env python3
"""The README's bench table and chart, measured on this machine: local disk vs tmpfs vs a bindfs FUSE mount.

Usage (as root: it mounts a tmpfs and a bindfs view, and unmounts them afterwards):

    python benchmarks/bench_readme.py [--profile standard] [--chart docs/bench-local.png]

Prints the Markdown table, the recommendation and the environment; writes the chart. The FUSE
mount is bindfs over the disk folder: the same files, every call through a user-space daemon,
the nearest thing this machine has to a hypervisor share (vboxsf, 9p).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.mounts import bindfs, tmpfs
from vagrantkit.bench import report  # after the path above: works from a checkout without install
from vagrantkit.bench.core import run_bench
from vagrantkit.bench.model import BenchOptions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--chart", type=Path, default=Path("docs/bench-local.png"))
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="vagrantkit-bench-readme-", dir="/var/tmp"))
    disk, mem, fuse = base / "disk", base / "tmpfs", base / "fuse"
    for d in (disk, mem, fuse):
        d.mkdir()
    try:
        with tmpfs(mem, size="512m"), bindfs(disk, fuse):
            options = BenchOptions(local=(f"disk={disk}", f"tmpfs={mem}", f"fuse={fuse}"), profile=args.profile)
            start = time.perf_counter()
            result = run_bench(options)
            took = time.perf_counter() - start
    finally:
        for d in (fuse, mem, disk):
            d.rmdir()
        base.rmdir()
    args.chart.parent.mkdir(parents=True, exist_ok=True)
    title = (
        f"Measured on this machine ({result.environment['kernel']['sysname']}, {result.environment['cpus']} CPUs): "
        "ext4 disk = 1 vs tmpfs vs a bindfs FUSE mount of the disk folder; lower is faster"
    )
    report.write_plot(result, args.chart, title=title)
    env = result.environment
    print(report.to_markdown(result))
    print(result.recommendation)
    print()
    print(
        f"Measured {time.strftime('%Y-%m-%d')} with `--profile {args.profile}` ({result.params['files']} files, "
        f"{result.params['reps']} reps + {result.params['warmup']} warm-up, {took:.0f} s) on "
        f"{env['kernel']['sysname']} {env['kernel']['release']}, Python {env['python']}, {env['cpus']} CPUs."
    )
    for t in result.targets:
        print(f"- {t.label}: {t.fs_type} ({t.mount_options})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
