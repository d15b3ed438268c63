"""A real SSH server on loopback for vagrantkit watch's tests: dropbear, as a small guest runs it.

watch talks to a guest through ``vagrant ssh-config`` and the system's OpenSSH client. Here the
"guest" is this machine: dropbear listens on 127.0.0.1 (loopback only, the network rule), its
authorized key is the test's own, and the receiver runs as it would in a guest. dropbear reads
``~/.ssh/authorized_keys`` of the user it logs in, and the tests run as root, so it runs in a
mount namespace of its own (``unshare --mount``) whose /root is a fresh tmpfs holding just that
key: nothing of the machine's /root is read or changed. That namespace copies the mounts of the
moment it starts: mount the test's folders first, then :meth:`LocalGuest.start`. What a guest does to a session (reboot: the
server gone, back on another port; network gone: it stops answering) is done to dropbear.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def descendants(root: int) -> list[int]:
    """``root`` and every process below it, parents first."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cmdline(pid: int) -> list[str]:
    """A process's argv (``[""]`` once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return [""]


class LocalGuest:
    """dropbear on 127.0.0.1, started and stopped at will; ``ssh_config`` is the Vagrant adapter's verb.

    Args:
        folder: Where its keys and log live (a test's tmp_path).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = folder / "id_ed25519"
        self.host_key = folder / "host_ed25519"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key)], check=True, timeout=30)
        subprocess.run(
            ["dropbearkey", "-t", "ed25519", "-f", str(self.host_key)], capture_output=True, check=True, timeout=30
        )
        self.configs = 0  # how many times watch asked for the configuration (running or not)

    def start(self) -> None:
        """Listen on a new port (a rebooted guest may come back on another one)."""
        self.port = free_port()
        script = " && ".join(
            [
                "mount -t tmpfs -o mode=0700 tmpfs /root",
                "mkdir -m 0700 /root/.ssh",
                f"cp {shlex.quote(str(self.key))}.pub /root/.ssh/authorized_keys",
                f"exec dropbear -F -E -s -p 127.0.0.1:{self.port} -r {shlex.quote(str(self.host_key))} "
                f"-P {shlex.quote(str(self.folder / 'dropbear.pid'))}",
            ]
        )
        log = (self.folder / "dropbear.log").open("ab")
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"dropbear did not listen: {(self.folder / 'dropbear.log').read_text()[-2000:]}")
            time.sleep(0.05)

    def _group(self, sig: int) -> None:
        """Signal the server and everything below it (each session's shell is a session leader of its own)."""
        if self.proc is None:
            return
        for pid in descendants(self.proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def stop(self) -> None:
        """The guest goes away: the server and every session it holds."""
        if self.proc is not None:
            self._group(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def pause(self) -> None:
        """The guest stops answering (network gone, machine asleep): connections stay open, nothing comes back."""
        self._group(signal.SIGSTOP)

    def resume(self) -> None:
        self._group(signal.SIGCONT)

    def ssh_config(self, machine: str) -> str:
        """What ``vagrant ssh-config`` prints for a machine, pointing here."""
        self.configs += 1
        if self.proc is None:
            from vagrantkit.errors import CommandError

            raise CommandError(f"vagrant ssh-config {machine} failed: The machine is not running")
        return "\n".join(
            [
                f"Host {machine}",
                "  HostName 127.0.0.1",
                "  User root",
                f"  Port {self.port}",
                "  UserKnownHostsFile /dev/null",
                "  StrictHostKeyChecking no",
                "  PasswordAuthentication no",
                f"  IdentityFile {self.key}",
                "  IdentitiesOnly yes",
                "  LogLevel FATAL",
                "",
            ]
        )
