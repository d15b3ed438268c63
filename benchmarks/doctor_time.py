#!/usr/bin/env python3
"""How long `vagrantkit doctor` takes on this machine, end to end, against the goal of 2 s.

Usage: python benchmarks/doctor_time.py [--runs N]

Renders a project with `vagrantkit init` in a temporary folder and runs `python -m vagrantkit
doctor` there N times (a fresh process each time, as a user would), in the tests' Vagrant
environment (tests/conftest.py vagrant_environment): VAGRANT_HOME in the temporary folder, the
checkpoint call off, and the `modinfo` shim. This kernel has no nfsd module; without the shim
`vagrant validate` fails its NFS check and doctor would be timed on that failure path. Prints the
median and best wall time, and for comparison the time of the Vagrant verbs doctor runs
(`--version`, `plugin list`, `validate`), one after the other: doctor runs them in parallel where
they are independent, so its time should stay near the slowest of them plus Python's start-up.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import vagrant_environment  # after the path above: works from a checkout

GOAL = 2.0


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vk-doctor-bench-") as tmp:
        project = Path(tmp) / "shop"
        subprocess.run([sys.executable, "-m", "vagrantkit", "init", str(project)], check=True, capture_output=True)
        env = vagrant_environment(Path(tmp))
        doctor = [sys.executable, "-m", "vagrantkit", "doctor"]
        timed(doctor, project, env)  # warm-up: file cache, Vagrant's first-run setup of VAGRANT_HOME
        samples = []
        code = 0
        for _ in range(args.runs):
            seconds, code = timed(doctor, project, env)
            samples.append(seconds)
        verbs = {
            "vagrant --version": ["vagrant", "--version"],
            "vagrant plugin list": ["vagrant", "plugin", "list", "--machine-readable"],
            "vagrant validate": ["vagrant", "validate", "--ignore-provider"],
        }
        verb_times = {name: timed(argv, project, env)[0] for name, argv in verbs.items()}
    median = statistics.median(samples)
    print(
        f"vagrantkit doctor: median {median:.2f} s, best {min(samples):.2f} s over {args.runs} runs (exit code {code})"
    )
    for name, seconds in verb_times.items():
        print(f"  {name:<22} {seconds:.2f} s")
    print(f"  the three verbs in sequence: {sum(verb_times.values()):.2f} s")
    print(f"goal: < {GOAL:.1f} s -> {'met' if median < GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
