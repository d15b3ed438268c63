"""A host folder, the "guest's" cached view of it, and a real SSH server: what watch's tests run on.

The guest's NFS client is stood in for by bindfs (FUSE) with a 60 s attribute and name cache: a
host edit stays unseen at the view for a minute, as under ``actimeo=60``, until something
revalidates it — statx(AT_STATX_FORCE_SYNC) makes FUSE ask its daemon, as it makes NFS ask the
server. The session is real: OpenSSH's client to dropbear on loopback (tests/sshd.py), the
receiver started as in a guest. Real NFS is in the lab (tests/lab) and the e2e.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest

from tests import mounts
from tests.conftest import need, unavailable
from tests.sshd import LocalGuest
from vagrantkit.watch.changes import Folder
from vagrantkit.watch.core import Watch
from vagrantkit.watch.link import SshLink

CACHE = 60.0  # seconds the view keeps attributes: far beyond any wait below


@dataclass
class World:
    host: Path  # the host folder (what watchfiles watches)
    view: Path  # the guest's cached view of it (what the receiver revalidates)
    guest: LocalGuest
    lines: list[str] = field(default_factory=list)

    def start(self, **options: object) -> RunningWatch:
        stop = threading.Event()
        link = SshLink(self.guest, "default", ["--inotify"] if options.get("inotify") else [], alive=(1, 2))
        watch = Watch(
            link,
            "default",
            folders=[Folder(self.host, PurePosixPath(str(self.view)))],
            notify=self.lines.append,
            stop=stop,
            backoff=(0.2, 1.0),
            **options,  # type: ignore[arg-type]
        )
        running = RunningWatch(watch, link, stop)
        running.thread.start()
        wait_for(lambda: watch.stats.sessions >= 1 and watch.watching.is_set(), 30, "watch to connect")
        time.sleep(0.3)  # watchfiles' inotify watches are in place a moment after its first step
        return running


@dataclass
class RunningWatch:
    watch: Watch
    link: SshLink
    stop: threading.Event
    error: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.watch.run()
        except BaseException as exc:
            self.error.append(exc)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(15)
        assert not self.thread.is_alive(), "watch did not stop"
        assert not self.error, self.error


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll until ``predicate`` holds; the seconds it took. Fails naming ``what`` after ``timeout``."""
    began = time.monotonic()
    while not predicate():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.01)
    return time.monotonic() - began


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        unavailable("FUSE mounts and the SSH server's private /root need root (CI runs as root)")
    for program in ("bindfs", "fusermount3", "dropbear", "dropbearkey", "ssh", "ssh-keygen", "unshare"):
        need(program)
    host, view = tmp_path / "host", tmp_path / "view"
    host.mkdir()
    view.mkdir()
    guest = LocalGuest(tmp_path)
    with mounts.bindfs(host, view, cache=CACHE):
        guest.start()  # after the mount: its namespace copies the mounts of that moment
        try:
            yield World(host, view, guest)
        finally:
            guest.stop()
