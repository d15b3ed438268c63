"""Real mounts for tests and benchmarks: a tmpfs, a bindfs (FUSE) view; each unmounted on the way out.

Plain context managers (no pytest), so benchmarks/ can use them too. Mounting a tmpfs needs root;
bindfs does not.
"""

from __future__ import annotations

import select
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from vagrantkit.errors import CommandError
from vagrantkit.process import run


@contextmanager
def _mounted(argv: Sequence[str], point: Path, unmount: Sequence[str]) -> Iterator[Path]:
    done = run(argv, timeout=30)
    if not done.ok:
        raise CommandError(f"{' '.join(map(str, argv))} failed: {(done.stderr or done.stdout).strip()}")
    try:
        yield point
    finally:
        # lazy: a test that failed mid-run may still hold a file open in it
        run(unmount, timeout=30)


def tmpfs(point: Path, *, size: str = "128m") -> AbstractContextManager[Path]:
    """A tmpfs of ``size`` mounted at the existing folder ``point`` (as root)."""
    return _mounted(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], point, ["umount", "-l", str(point)]
    )


def bindfs(source: Path, point: Path, *, cache: float | None = None) -> AbstractContextManager[Path]:
    """``source`` seen through bindfs at the existing folder ``point``: every call a round trip to a FUSE daemon.

    ``cache``: the kernel keeps attributes and names that many seconds (as an NFS client with
    ``actimeo``), so an edit made in ``source`` stays unseen at ``point`` meanwhile.
    """
    options = ["-o", f"attr_timeout={cache:g},entry_timeout={cache:g}"] if cache is not None else []
    return _mounted(["bindfs", *options, str(source), str(point)], point, ["fusermount3", "-u", "-z", str(point)])


@contextmanager
def corrupting(
    backing: Path, point: Path, *, zero: Sequence[str] = (), flip: Sequence[str] = (), eio: Sequence[str] = ()
) -> Iterator[Path]:
    """``backing`` seen at ``point`` through tests/corruptfs.py, a FUSE daemon that loses the data of the
    files named (as root): ``zero`` keep nothing written, ``flip`` get a changed byte, ``eio`` fail to read."""
    argv = [sys.executable, str(Path(__file__).with_name("corruptfs.py")), str(backing), str(point)]
    for flag, names in (("--zero", zero), ("--flip", flip), ("--eio", eio)):
        for name in names:
            argv += [flag, name]
    daemon = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert daemon.stdout is not None
        ready, _, _ = select.select([daemon.stdout], [], [], 30)
        if not ready or daemon.stdout.readline().strip() != "ready":
            daemon.kill()
            raise CommandError(f"corruptfs did not mount {point}: {daemon.communicate(timeout=5)[1].strip()}")
        yield point
    finally:
        run(["umount", "-l", str(point)], timeout=30)
        daemon.terminate()
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
