#!/usr/bin/env python3
"""How long `vagrantkit --help` takes to start, against a bare `python -c pass`, in one run.

Usage: python benchmarks/startup.py [--runs N]

The two commands are run interleaved (so background load hits both alike); the script prints
the median and best of each and the ratio of the medians (goal for `vagrantkit --help`: at most
3x). `--help` and `--version` are answered by vagrantkit/launch.py before click is imported; rich,
jinja2, python-vagrant and tree-sitter are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("vagrantkit")  # the console script pip made next to python
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "vagrantkit --help": [
        str(SCRIPT) if SCRIPT.exists() else sys.executable,
        *([] if SCRIPT.exists() else ["-m", "vagrantkit"]),
        "--help",
    ],
    "python -m vagrantkit --help": [sys.executable, "-m", "vagrantkit", "--help"],
    "vagrantkit init --help": [sys.executable, "-m", "vagrantkit", "init", "--help"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for argv in COMMANDS.values():  # warm-up: fill the OS file cache
        subprocess.run(argv, check=True, capture_output=True)
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["python -c pass"])
    print(f"{'command':<24} {'median':>9} {'best':>9} {'vs python':>10}   ({args.runs} runs each)")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:<24} {median * 1000:>7.1f}ms {min(samples) * 1000:>7.1f}ms {median / base:>9.2f}x")


if __name__ == "__main__":
    main()
