"""A network namespace and a private mount namespace that a test makes itself, and everything run in them.

The network rule: besides loopback, every address a test uses lives in a namespace the test
creates. :class:`Sandbox` makes one (``ip netns add``, with only ``lo`` up, no uplink) and a mount
namespace beside it in which chosen host folders are covered by private ones: ``/run`` (rpcbind's
socket and lock there are shared by every network namespace otherwise), libvirt's state and
configuration. Programs run inside both through ``nsenter``; daemons they start stay inside.

On the way out every process whose network namespace is the sandbox's is stopped, found by the
namespace itself, never by a program's name (which could be another test's), then the namespace
and the folders go. Plain context manager, so benchmarks/ can use it too.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any


class SandboxUnavailable(RuntimeError):
    """Namespaces cannot be made here (not root, no `ip`/`unshare`/`nsenter`); the message says why."""


def _ns_inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` until it holds; :class:`SandboxUnavailable` naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SandboxUnavailable(f"{what} did not come up within {timeout:g} s")
        time.sleep(0.2)


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is still a running process (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into SystemExit(143) meanwhile, so a killed run still closes its sandbox.

    Python's default for SIGTERM ends the process without unwinding: the daemons and guests
    inside the sandbox, and the namespace itself, would outlive it.
    """
    previous = signal.signal(signal.SIGTERM, _exit_143)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_143(signum: int, frame: object) -> None:
    raise SystemExit(143)


class Sandbox:
    """A fresh network namespace with a private mount namespace; use as a context manager.

    Args:
        name: A short word for the namespace's name (``vk-<name>-<random>``) and its folder.
        private: Host folders covered inside the sandbox by empty private folders (e.g. ``/run``).
        copied: Host folders covered by private copies of themselves (e.g. ``/etc/libvirt``).

    Attributes:
        root: The sandbox's own folder on the host (world-traversable, so daemons that drop
            privileges can reach files in it); removed on the way out.
        netns: The network namespace's name.
    """

    def __init__(self, name: str, *, private: Sequence[str] = ("/run",), copied: Sequence[str] = ()) -> None:
        self.netns = f"vk-{name}-{secrets.token_hex(3)}"
        self.private = tuple(private)
        self.copied = tuple(copied)
        self.root = Path()
        self._holder: subprocess.Popen[bytes] | None = None
        self._inode: int | None = None

    # --- setting up ---------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        if os.name != "posix" or os.geteuid() != 0:
            raise SandboxUnavailable("network namespaces need root (CI runs as root)")
        for program in ("ip", "unshare", "nsenter"):
            if shutil.which(program, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
                raise SandboxUnavailable(f"{program} is not installed (iproute2, util-linux)")
        self.root = Path(tempfile.mkdtemp(prefix=f"vagrantkit-{self.netns}-"))
        self.root.chmod(0o755)
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        done = subprocess.run(["ip", "netns", "add", self.netns], capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise SandboxUnavailable(f"ip netns add failed: {done.stderr.strip()}")
        self._inode = _ns_inode(f"/run/netns/{self.netns}")
        lines = []
        for target in (*self.private, *self.copied):
            mirror = self.root / "private" / target.strip("/").replace("/", "_")
            mirror.mkdir(parents=True)
            if target in self.copied and Path(target).is_dir():
                shutil.copytree(target, mirror, symlinks=True, dirs_exist_ok=True)
            mirror.chmod(0o755)
            lines.append(
                f"mkdir -p {shlex.quote(target)} && mount --bind {shlex.quote(str(mirror))} {shlex.quote(target)}"
            )
        if "/run" in self.private:
            lines.append("mkdir -p /run/lock")
        # The holder keeps both namespaces alive; everything else enters them through nsenter.
        script = " && ".join([*lines, "ip link set lo up", "echo ready", "exec sleep infinity"])
        self._holder = subprocess.Popen(
            ["ip", "netns", "exec", self.netns, "unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self._holder.stdout is not None
        if self._holder.stdout.readline().strip() != b"ready":
            err = self._holder.stderr.read().decode(errors="replace") if self._holder.stderr else ""
            raise SandboxUnavailable(f"the sandbox's namespaces could not be set up: {err.strip()}")

    # --- running inside -----------------------------------------------------------------------

    def argv(self, command: Sequence[str | os.PathLike[str]], cwd: Path | None = None) -> list[str]:
        """``command`` as it runs inside the sandbox (both namespaces entered), in ``cwd`` (default: ours).

        Entering a mount namespace moves a process to its root folder, so ``env --chdir`` goes back
        once inside (not nsenter's ``--wd``: it keeps a folder of the old namespace, where a rename
        between it and an absolute path fails with EXDEV).
        """
        assert self._holder is not None, "the sandbox is not open"
        where = cwd or Path.cwd()
        enter = ["nsenter", f"--target={self._holder.pid}", "--mount", "--net", "--"]
        return [*enter, "env", f"--chdir={where}", *map(str, command)]

    def run(
        self,
        command: Sequence[str | os.PathLike[str]],
        *,
        timeout: float = 60,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        input: str | None = None,
        check: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` inside the sandbox and capture its output (text)."""
        return subprocess.run(
            self.argv(command, cwd),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(env) if env is not None else None,
            input=input,
            check=check,
        )

    def popen(
        self, command: Sequence[str | os.PathLike[str]], *, cwd: Path | None = None, **kwargs: Any
    ) -> subprocess.Popen[Any]:
        """Start ``command`` inside the sandbox in ``cwd`` (other ``subprocess.Popen`` keyword arguments as given)."""
        return subprocess.Popen(self.argv(command, cwd), **kwargs)

    def pids(self) -> set[int]:
        """Every live process inside the sandbox's network namespace (the holder included)."""
        if self._inode is None:
            return set()
        found = set()
        for entry in Path("/proc").iterdir():
            pid = int(entry.name) if entry.name.isdigit() else 0
            if pid and _ns_inode(f"/proc/{pid}/ns/net") == self._inode and process_alive(pid):
                found.add(pid)
        return found

    # --- tearing down -------------------------------------------------------------------------

    def stop_processes(self, grace: float = 5.0) -> set[int]:
        """SIGTERM every process inside, SIGKILL what is left after ``grace`` seconds; returns the pids seen."""
        seen: set[int] = set()
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            pids = self.pids()
            seen |= pids
            for pid in pids:
                with suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while self.pids() and time.monotonic() < deadline:
                time.sleep(0.1)
            if not self.pids():
                break
        if self._holder is not None:
            with suppress(subprocess.TimeoutExpired):
                self._holder.wait(timeout=5)
        return seen

    def close(self) -> None:
        """Stop everything inside, delete the namespace, remove the folders (safe to call twice)."""
        with suppress(Exception):
            self.stop_processes()
        if self._inode is not None:
            subprocess.run(["ip", "netns", "del", self.netns], capture_output=True, timeout=30)
            self._inode = None
        if self.root != Path() and self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)

    def __exit__(self, *exc: object) -> None:
        self.close()
