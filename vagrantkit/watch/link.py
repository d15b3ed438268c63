"""The session to the guest's receiver: one long-lived channel, bytes, one JSON object per line.

A :class:`Link` opens a :class:`Channel` each time watch (re)connects. :class:`SshLink` is the one
users get: ``vagrant ssh-config`` written to a private file, then the system's OpenSSH, not
``vagrant ssh``:

- one process to stop (``vagrant ssh`` is Ruby holding ssh as a child), in a process group of its
  own so the whole tree goes;
- ``-T`` and a command: no pseudo-terminal (no CRLF, no echo, no Win32-OpenSSH console trouble) and
  no login shell;
- ``BatchMode``: never a password prompt in a background tool; ``ServerAliveInterval``: a guest that
  stopped answering (rebooted, asleep, network gone) ends the session within seconds instead of
  when TCP gives up;
- the configuration is asked for again on every connect: after a reboot the port or address may
  differ, and Vagrant (4-10 s to start on Windows) runs once per connect, not per change.

Another place to run (the lab's virtio port) implements :class:`Link` too.
"""

from __future__ import annotations

import queue
import shlex
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import IO, Protocol

from vagrantkit import process, sending
from vagrantkit.errors import VagrantkitError

RECEIVER_PATH = Path(__file__).with_name("receiver.py")
# Lines from the receiver waiting to be read: acknowledgements are small and read at once; the
# bound only keeps a misbehaving guest from filling the host's memory.
INBOX = 1000
SSH_OPTIONS = ("-T", *("-o", "BatchMode=yes"), *("-o", "ConnectTimeout=15"))
# A guest that stops answering ends the session after interval x count seconds.
ALIVE = (5, 3)


class LinkError(VagrantkitError):
    """The session could not be opened or was lost; watch reconnects."""


class Channel(Protocol):
    def send(self, line: bytes) -> None:
        """Write one line (``line`` ends with a newline). Raises LinkError when the session is gone."""
        ...

    def receive(self, timeout: float) -> bytes | None:
        """The next line, None after ``timeout`` seconds. Raises LinkError when the session ended."""
        ...

    def close(self) -> None: ...


class Link(Protocol):
    name: str

    def open(self) -> Channel:
        """A new session with a receiver running at the other end. Raises LinkError."""
        ...


class StreamChannel:
    """A channel over a pair of byte streams; a thread reads lines into a bounded inbox."""

    def __init__(self, reader: IO[bytes], writer: IO[bytes], on_close: Callable[[], str]) -> None:
        self.writer = writer
        self.on_close = on_close
        self.inbox: queue.Queue[bytes | None] = queue.Queue(INBOX)
        self.ended = ""
        self.thread = threading.Thread(target=self._read, args=(reader,), daemon=True)
        self.thread.start()

    def _read(self, reader: IO[bytes]) -> None:
        with suppress(OSError, ValueError):
            for line in iter(reader.readline, b""):
                self.inbox.put(line)
        self.inbox.put(None)

    def send(self, line: bytes) -> None:
        try:
            self.writer.write(line)
            self.writer.flush()
        except (OSError, ValueError):
            self.ended = self.ended or self.on_close()
            raise LinkError(self.ended) from None

    def receive(self, timeout: float) -> bytes | None:
        try:
            line = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            self.inbox.put(None)  # every later receive says so too
            raise LinkError(self.ended or self.on_close())
        return line

    def close(self) -> None:
        with suppress(OSError, ValueError):
            self.writer.close()
        self.ended = self.ended or self.on_close()


class SshConfigSource(Protocol):
    """The one Vagrant verb the link needs (``VagrantAdapter.ssh_config``)."""

    def ssh_config(self, machine: str) -> str: ...


class SshLink:
    """The receiver over OpenSSH, configured by ``vagrant ssh-config``.

    Args:
        adapter: Gives the machine's ssh configuration.
        machine: The machine's name in the Vagrantfile (also its host alias in the configuration).
        receiver_args: The receiver's own arguments (``--inotify``).
        ssh: The OpenSSH client (default: ``ssh`` on PATH; Windows 10+ ships one).
        python: The guest's Python 3.8+.
    """

    name = "ssh"

    def __init__(
        self,
        adapter: SshConfigSource,
        machine: str,
        receiver_args: Sequence[str] = (),
        *,
        ssh: str | None = None,
        python: str = "python3",
        alive: tuple[int, int] = ALIVE,
    ) -> None:
        self.adapter = adapter
        self.machine = machine
        self.receiver_args = list(receiver_args)
        self.ssh = ssh
        self.python = python
        self.alive = alive
        self.proc: subprocess.Popen[bytes] | None = None  # the session's ssh, while one is open

    def argv(self, config: Path) -> list[str]:
        ssh = self.ssh or shutil.which("ssh")
        if not ssh:
            raise VagrantkitError(
                "no OpenSSH client (ssh) on PATH",
                hint="Windows 10 and later: Settings > Apps > Optional features > OpenSSH Client; "
                "macOS and Linux have one (Debian: apt-get install openssh-client).",
            )
        remote = shlex.join([self.python, "-c", sending.loader("receiver.py"), *self.receiver_args])
        alive = ("-o", f"ServerAliveInterval={self.alive[0]}", "-o", f"ServerAliveCountMax={self.alive[1]}")
        return [ssh, "-F", str(config), *SSH_OPTIONS, *alive, self.machine, remote]

    def open(self) -> Channel:
        try:
            text = self.adapter.ssh_config(self.machine)
        except VagrantkitError as exc:
            raise LinkError(exc.message) from None
        folder = Path(tempfile.mkdtemp(prefix="vagrantkit-watch-"))  # private: mode 0700
        config = folder / "ssh_config"
        config.write_text(text, encoding="utf-8")
        try:
            proc = process.spawn(self.argv(config))
        except VagrantkitError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise LinkError(exc.message) from None
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        self.proc = proc
        errors: list[bytes] = []
        err = proc.stderr
        threading.Thread(target=lambda: errors.append(err.read()), daemon=True).start()

        def ended() -> str:
            if proc.poll() is None:
                process.stop_group(proc, drain=False)
            shutil.rmtree(folder, ignore_errors=True)
            tail = b"".join(errors).decode("utf-8", "replace").strip().splitlines()[-1:]
            return f"ssh ended (exit {proc.returncode})" + (f": {tail[0]}" if tail else "")

        channel = StreamChannel(proc.stdout, proc.stdin, ended)
        try:
            channel.send(sending.payload(RECEIVER_PATH))
        except LinkError:
            channel.close()
            raise
        return channel
