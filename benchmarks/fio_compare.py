#!/usr/bin/env python3
"""The bench runner's stat rate against fio's ``filestat`` engine on the same files, in one run.

Usage: python benchmarks/fio_compare.py [--dir [LABEL=]PATH ...] [--files N] [--seconds S] [--rounds R]

In each folder (default: a temporary folder on this machine's disk), fio lays out N files of 4 KiB
in a scratch folder and stats them with ``ioengine=filestat`` for S seconds (one 4 KiB "read" per
file open, so fio's IOPS are stats per second); then the runner's own ``stat`` operation
(``vagrantkit/bench/runner.py``, the code that runs in guests) stats exactly those files for the
same time. The two alternate R times; the script prints the median rates and their ratio.

Goal: runner / fio >= 0.5 on a local disk, so the harness's own overhead cannot hide a slow share.
The scratch folders are removed on every exit, Ctrl-C and SIGTERM included.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vagrantkit.bench import runner  # after the path above: works from a checkout without install

JOB = "stat"


def fio_rate(folder: Path, files: int, seconds: float) -> float:
    """fio filestat over ``files`` files in ``folder``: stats per second."""
    argv = [
        "fio", "--output-format=json", f"--name={JOB}", "--ioengine=filestat", "--rw=read",
        "--bs=4k", "--filesize=4k", f"--nrfiles={files}", f"--directory={folder}",
        "--time_based=1", f"--runtime={seconds}s",
    ]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 120).stdout
    # fio prints notes ("opendir added ...") before the JSON document on some versions
    job = json.loads(out[out.index("{") :])["jobs"][0]
    return float(job["read"]["iops"])


def runner_rate(folder: Path, seconds: float) -> float:
    """The runner's own ``stat`` operation over the files fio laid out: median stats per second of its batches."""
    config = runner.parse_args([str(folder), "--ops", "stat", "--size", "10", "--id", "fio"])
    ws = runner.Workspace(config, str(folder))
    ws.files = sorted(str(p) for p in folder.iterdir() if p.name.startswith(f"{JOB}."))
    rates = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        begin = time.perf_counter_ns()
        count = ws.op_stat()
        rates.append(count / ((time.perf_counter_ns() - begin) / 1e9))
    return statistics.median(rates)


def compare(label: str, path: Path, files: int, seconds: float, rounds: int) -> tuple[float, float]:
    scratch = path / f"{runner.SCRATCH_PREFIX}fio-{os.getpid()}"
    scratch.mkdir()
    try:
        fio_rate(scratch, files, 1)  # lays the files out and warms the caches; not counted
        fio, ours = [], []
        for _ in range(rounds):
            fio.append(fio_rate(scratch, files, seconds))
            ours.append(runner_rate(scratch, seconds))
        mounts = runner.read_mounts()
        mount = runner.mount_of(str(path), mounts) or {}
        f, r = statistics.median(fio), statistics.median(ours)
        print(f"{label:<10} {mount.get('fs_type', '?'):<10} {f:>12,.0f} {r:>12,.0f} {r / f:>7.2f}")
        return f, r
    finally:
        runner.remove_tree(str(scratch))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", action="append", default=[], metavar="[LABEL=]PATH")
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("fio") is None:
        print("fio is not installed (Debian: apt-get install fio)", file=sys.stderr)
        return 2
    temp = None
    dirs = args.dir
    if not dirs:
        temp = tempfile.mkdtemp(prefix="fio-compare-", dir=Path.home())
        dirs = [f"disk={temp}"]
    print(f"{'folder':<10} {'fs':<10} {'fio stat/s':>12} {'runner /s':>12} {'ratio':>7}   "
          f"({args.files} files, {args.rounds} x {args.seconds:g} s each, medians)")  # fmt: skip
    ratios = []
    try:
        with runner._Signals():  # SIGTERM unwinds through the finally blocks like Ctrl-C
            for spec in dirs:
                label, _, path = spec.rpartition("=")
                f, r = compare(label or Path(path).name, Path(path), args.files, args.seconds, args.rounds)
                ratios.append(r / f)
    except runner.Interrupted as exc:
        print(f"interrupted by {exc.signame}; scratch removed", file=sys.stderr)
        return runner.SIGNAL_EXIT.get(exc.signame, 1)
    finally:
        if temp:
            runner.remove_tree(temp)
    print(f"goal runner/fio >= 0.5: {'met' if min(ratios) >= 0.5 else 'NOT met'} (lowest {min(ratios):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
