"""Samba's smbd in userspace, inside a sandbox: an SMB3 share for the lab's guest kernel to mount with cifs.

Vagrant's SMB synced folder is a share of the host (Windows, or macOS's smbd) that the guest
mounts with ``mount -t cifs`` and a user's credentials. The lab serves the same thing from this
machine: ``smbd`` with a configuration, state and password database of its own (nothing of the
host's Samba is read or written), one share of the lab's host folder, SMB2 and newer only, one
user with a password. It runs inside the lab's network namespace and listens on its loopback,
where QEMU's user-mode network brings the guest's connections to 10.0.2.2:445.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.ganesha import REPO, port_open
from tests.netns import Sandbox, process_alive, wait_until

SMB_PORT = 445
SHARE = "project"
# The account the guest mounts with: Samba checks it against its own database (smbpasswd, in the
# state folder), backed by a Unix account of this machine. The lab's guest job runs as root and
# makes its scratch folders in the share, as with ganesha's No_Root_Squash.
USER = "root"


class SambaError(RuntimeError):
    """smbd could not be made to serve; the message says why (with its log)."""


@dataclass(frozen=True)
class Samba:
    """A started smbd: its pid, and what a client needs to mount its share."""

    pid: int
    share: str
    user: str
    password: str


def config(state: Path, folder: Path) -> str:
    """smbd's configuration: every folder it keeps in ``state``, one share of ``folder``, SMB2+ only."""
    dirs = {
        "lock directory": state / "lock",
        "state directory": state / "state",
        "cache directory": state / "cache",
        "pid directory": state,
        "private dir": state / "private",
        "ncalrpc dir": state / "ncalrpc",
        "binddns dir": state / "bind-dns",
    }
    lines = [
        "[global]",
        # A standalone file server, and nothing else: no NetBIOS, no printers, no registry of the host's.
        "server role = standalone server",
        "disable netbios = yes",
        f"smb ports = {SMB_PORT}",
        "load printers = no",
        "printing = bsd",
        "printcap name = /dev/null",
        "disable spoolss = yes",
        "passdb backend = smbpasswd:" + str(state / "private" / "smbpasswd"),
        "server min protocol = SMB2_02",
        "log level = 1",
        f"log file = {state / 'smbd.log'}",
        *(f"{key} = {path}" for key, path in dirs.items()),
        "",
        f"[{SHARE}]",
        f"path = {folder}",
        "read only = no",
        f"valid users = {USER}",
        # What a client sees is what the folder holds: no name mangling, no DOS attributes in xattrs.
        "mangled names = no",
        "store dos attributes = no",
        "",
    ]
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    return "\n".join(lines)


def start(state: Path, folder: Path, timeout: float = 30) -> Samba:
    """Start smbd here (in the current network namespace) serving ``folder``; returns once it listens."""
    state.mkdir(parents=True, exist_ok=True)
    conf = state / "smb.conf"
    conf.write_text(config(state, folder))
    password = secrets.token_hex(12)
    added = subprocess.run(
        ["smbpasswd", "-c", str(conf), "-s", "-a", USER],
        input=f"{password}\n{password}\n",
        capture_output=True,
        text=True,
        timeout=30,
    )
    if added.returncode != 0:
        raise SambaError(f"smbpasswd could not add {USER}: {(added.stderr or added.stdout).strip()}")
    log = state / "smbd.stdout"
    with log.open("wb") as out:
        # --foreground: the pid is smbd's own; --no-process-group: the sandbox stops it with the rest.
        proc = subprocess.Popen(
            ["smbd", "--foreground", "--no-process-group", "-s", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: port_open(SMB_PORT) or proc.poll() is not None, timeout, "smbd")
    except Exception:
        proc.kill()
        raise
    if proc.poll() is not None or not process_alive(proc.pid):
        text = log.read_text(errors="replace")[-2000:] if log.exists() else "(no output)"
        raise SambaError(f"smbd exited (code {proc.returncode}) before it listened: {text}")
    return Samba(proc.pid, SHARE, USER, password)


def start_in(sandbox: Sandbox, state: Path, folder: Path) -> Samba:
    """:func:`start` inside ``sandbox`` (``python -m tests.samba STATE FOLDER``); smbd keeps running there."""
    done = sandbox.run([sys.executable, "-m", "tests.samba", str(state), str(folder)], cwd=REPO, timeout=90)
    words = done.stdout.split()
    if done.returncode != 0 or len(words) != 2 or not words[0].isdigit():
        raise SambaError(f"smbd did not start: {(done.stderr or done.stdout).strip()[-3000:]}")
    return Samba(int(words[0]), SHARE, USER, words[1])


def main(argv: Sequence[str]) -> int:
    """``python -m tests.samba STATE FOLDER``: start smbd here, print its pid and the password once it listens."""
    if len(argv) != 2:
        print("usage: python -m tests.samba STATE FOLDER", file=sys.stderr)
        return 2
    try:
        samba = start(Path(argv[0]), Path(argv[1]))
    except (SambaError, RuntimeError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(samba.pid, samba.password)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
