"""Real file systems for the bench tests: a tmpfs mounted under tmp_path, and a bindfs (FUSE) view of it."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tests import mounts
from tests.conftest import need, unavailable
from vagrantkit.bench import runner
from vagrantkit.bench.runner import OPERATIONS, PACED_OPS
from vagrantkit.bench.transport import RUNNER_PATH
from vagrantkit.process import Completed, run

RUNNER = RUNNER_PATH  # vagrantkit/bench/runner.py, the file sent to the guest


def _need_root() -> None:
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        unavailable("mounting tmpfs and FUSE needs root (CI runs as root)")


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real tmpfs mounted at tmp_path/tmpfs, unmounted afterwards."""
    _need_root()
    need("mount")
    point = tmp_path / "tmpfs"
    point.mkdir()
    with mounts.tmpfs(point):
        yield point


@pytest.fixture
def fuse(tmpfs: Path, tmp_path: Path) -> Iterator[Path]:
    """The same tree as ``tmpfs`` seen through bindfs (FUSE): every call a round trip to a user-space daemon."""
    need("bindfs")
    need("fusermount3")
    point = tmp_path / "fuse"
    point.mkdir()
    with mounts.bindfs(tmpfs, point):
        yield point


def fs_type(path: Path) -> str:
    """The file-system type /proc/mounts gives for the mount point ``path``."""
    for line in Path("/proc/mounts").read_text().splitlines():
        parts = line.split()
        if parts[1] == str(path):
            return parts[2]
    raise AssertionError(f"{path} is not a mount point")


def run_runner(*args: str, timeout: float = 120) -> Completed:
    """Run runner.py as the guest would: a separate interpreter, isolated from this package (-I).

    The reloader's sleep between ticks is 20 ms here unless ``args`` set it (runserver's is 1 s):
    a test needs the ticks, not the wait.
    """
    fast = [] if "--reloader-sleep" in args else ["--reloader-sleep", "0.02"]
    return run([sys.executable, "-I", str(RUNNER), *args, *fast], timeout=timeout)


def workspace(folder: Path) -> runner.Workspace:
    """A runner workspace in ``folder``/scratch with a 10-file fixture, its work folders made, as a run makes them."""
    config = runner.parse_args([str(folder), "--size", "10", "--id", "t"])
    scratch = folder / "scratch"
    scratch.mkdir()
    space = runner.Workspace(config, str(scratch))
    space.make_work(build=True)
    space.prepare(build=True)
    return space


# What a run without --host-side measures: every operation but edit (which needs a host side).
WITHOUT_HOST_SIDE = [op for op in OPERATIONS if op != "edit"]
# The operations run back to back in every repetition (the paced ones run after them).
BATCH = [op for op in OPERATIONS if op not in PACED_OPS]


def scratch_left(*folders: Path) -> list[str]:
    """Any .vagrantkit-bench-* entry left in ``folders``."""
    return [f"{f}/{n}" for f in folders for n in os.listdir(f) if n.startswith(".vagrantkit-bench-")]


def interrupt_when(
    argv: Sequence[str], ready: Callable[[str], bool], signame: str, *folders: Path
) -> tuple[int, str, str]:
    """Start ``argv``, wait for a stderr line that ``ready`` accepts, then send ``signame``.

    Asserts the run has a scratch folder in ``folders`` by then (so the clean-up is really
    tested), and never leaves the process behind. Returns (exit code, stdout, stderr after the line).
    """
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        while True:
            readable, _, _ = select.select([proc.stderr], [], [], 60)
            assert readable, "the run printed no progress"
            line = proc.stderr.readline()
            assert line, "the run ended before it could be interrupted"
            if ready(line):
                break
        assert scratch_left(*folders), "the run has a scratch folder by now"
        proc.send_signal(getattr(signal, signame))
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out, err
