#!/usr/bin/env python3
"""How long the Django thread check takes on Django's own source tree (goal: at most 5 s).

Usage: python benchmarks/thread_scan.py [--version 5.2.19] [--runs N] [--tree DIR]

Django's source release (the sdist on PyPI, tests included: about 2,800 Python files) is
downloaded once with pip into ~/.cache/vagrantkit/django-src and unpacked there; --tree scans
another folder instead. Each run is a fresh `scan_threads` (nothing cached between runs); the
script prints the files, thread starts, threads analysed and leaks found, and the median and best
times.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from vagrantkit.django.threads import scan_threads

CACHE = Path.home() / ".cache" / "vagrantkit" / "django-src"


def django_tree(version: str) -> Path:
    tree = CACHE / f"django-{version}"
    if tree.is_dir():
        return tree
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"django=={version}",
            "-d",
            str(CACHE),
        ],
        check=True,
    )
    archive = next(CACHE.glob(f"[dD]jango-{version}.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    return next(p for p in CACHE.iterdir() if p.is_dir() and p.name.lower() == f"django-{version}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="5.2.19")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tree", type=Path)
    args = parser.parse_args()
    tree = args.tree or django_tree(args.version)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        scan = scan_threads(tree)
        times.append(time.perf_counter() - start)
    print(
        f"{tree}: {scan.files} Python files, {len(scan.starts)} thread starts, {len(scan.threads)} threads analysed, "
        f"{len(scan.leaks)} leaking, {len(scan.unparsable)} not checked"
    )
    print(
        f"scan_threads: median {statistics.median(times):.2f} s, best {min(times):.2f} s ({args.runs} runs; goal <= 5 s)"
    )


if __name__ == "__main__":
    main()
