"""nfs-ganesha, the userspace NFS server the lab and the end-to-end test use (this kernel has no nfsd).

Two pieces, both plain Python (no pytest), so benchmarks/ and the e2e's NFS shim can use them:

- :func:`parse_exports` reads exports(5) lines as Vagrant's Linux host writes them into
  /etc/exports (``"/path" 192.168.121.5(rw,no_subtree_check,all_squash,anonuid=0,...)``), and
  :func:`config` turns them into a ganesha configuration that serves the same thing: each folder
  to the clients named only, squash options honoured, NFSv3 over TCP only.
- :class:`Ganesha` starts and stops the daemon by the pid file it writes, never by name.

ganesha keeps an attribute cache of its own (``Attr_Expiration_Time``, 60 s by default): a file
changed on the host folder behind its back stays invisible to the guest for that long, whatever
the guest's ``actimeo``. A kernel server and WinNFSd have no such cache, so it is turned off (0)
here: the guest then sees a host edit as a user's guest would.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from tests.netns import Sandbox, SandboxUnavailable, process_alive, wait_until

NFS_PORT = 2049
MOUNT_PORT = 20048

# exports(5) options that change nothing ganesha needs to know (fsid: ganesha takes it from the
# file system; subtree checks, write delays and syncing are kernel-server matters).
IGNORED_OPTIONS = re.compile(r"no_subtree_check|subtree_check|fsid=.*|sync|async|wdelay|no_wdelay|secure|insecure")
_LINE = re.compile(r'^"(?P<path>[^"]+)"\s+(?P<clients>.+)$')
_CLIENT = re.compile(r"(?P<address>[^\s(]+)\((?P<options>[^)]*)\)")


class GaneshaError(RuntimeError):
    """ganesha could not be configured or started; the message says why (its log's tail included)."""


@dataclass(frozen=True)
class Client:
    """Who may mount an export, and as whom their requests run."""

    address: str
    access: str = "RW"  # RW or RO
    squash: str = "Root_Squash"  # Root_Squash, All_Squash or No_Root_Squash (ganesha's names)
    anon_uid: int | None = None
    anon_gid: int | None = None


@dataclass(frozen=True)
class Export:
    """One exported folder and its clients."""

    path: str
    clients: tuple[Client, ...]


def parse_client(address: str, options: str) -> Client:
    """One ``address(opt,opt,...)`` of an exports line, with the kernel server's defaults.

    Raises:
        GaneshaError: An option this module does not know how to honour.
    """
    access, squash, uid, gid = "RO", "Root_Squash", None, None  # exports(5): ro and root_squash by default
    all_squash = no_root_squash = False
    for option in filter(None, (o.strip() for o in options.split(","))):
        if option in ("rw", "ro"):
            access = option.upper()
        elif option == "all_squash":
            all_squash = True
        elif option == "no_root_squash":
            no_root_squash = True
        elif option in ("root_squash", "no_all_squash"):
            pass
        elif option.startswith("anonuid="):
            uid = int(option.split("=", 1)[1])
        elif option.startswith("anongid="):
            gid = int(option.split("=", 1)[1])
        elif not IGNORED_OPTIONS.fullmatch(option):
            raise GaneshaError(f"export option {option!r} ({address}) is not one this NFS shim can honour")
    if all_squash:
        squash = "All_Squash"
    elif no_root_squash:
        squash = "No_Root_Squash"
    return Client(address, access, squash, uid, gid)


def parse_exports(text: str) -> list[Export]:
    """Every export line of ``text`` (comments and blank lines skipped), clients of one path merged."""
    merged: dict[str, list[Client]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise GaneshaError(f"an exports line this NFS shim cannot read: {line!r}")
        clients = [parse_client(c["address"], c["options"]) for c in _CLIENT.finditer(match["clients"])]
        merged.setdefault(match["path"], []).extend(clients)
    return [Export(path, tuple(clients)) for path, clients in merged.items()]


def vagrant_blocks(text: str, uid: int | None = None) -> str:
    """Only the lines between Vagrant's ``# VAGRANT-BEGIN: <uid> <id>`` and ``# VAGRANT-END`` markers."""
    kept, inside = [], False
    for line in text.splitlines():
        if line.startswith("# VAGRANT-BEGIN:"):
            inside = uid is None or line.split()[2] == str(uid)
        elif line.startswith("# VAGRANT-END:"):
            inside = False
        elif inside:
            kept.append(line)
    return "\n".join(kept) + "\n"


def _quoted(text: str) -> str:
    if '"' in text or "\n" in text:
        raise GaneshaError(f"a path ganesha's configuration cannot quote: {text!r}")
    return f'"{text}"'


def config(
    exports: Sequence[Export],
    *,
    bind: str | None = None,
    protocols: Sequence[int] = (3,),
    nfs_port: int = NFS_PORT,
    mount_port: int = MOUNT_PORT,
) -> str:
    """A ganesha configuration serving ``exports`` over TCP only (no UDP, no NLM, no rquota)."""
    versions = ", ".join(map(str, protocols))
    core = [
        f"NFS_Port = {nfs_port};",
        f"MNT_Port = {mount_port};",
        f"Protocols = {versions};",
        "Enable_UDP = false;",
        "Enable_NLM = false;",  # the guest mounts with nolock (WinNFSd has no lock manager either)
        "Enable_RQUOTA = false;",
    ]
    if bind:
        core.append(f"Bind_addr = {bind};")
    blocks = ["NFS_CORE_PARAM {\n" + "".join(f"    {line}\n" for line in core) + "}\n", "NFSV4 { Graceless = true; }\n"]
    for number, export in enumerate(exports, 1):
        lines = [
            f"Export_Id = {number};",
            f"Path = {_quoted(export.path)};",
            f'Pseudo = "/export{number}";',
            "Access_Type = None;",  # nobody but the clients below
            f"Protocols = {versions};",
            "Transports = TCP;",
            "SecType = sys;",
            # No attribute cache of ganesha's own: see the module docstring.
            "Attr_Expiration_Time = 0;",
            "FSAL { Name = VFS; }",
        ]
        for client in export.clients:
            inner = [f"Clients = {client.address};", f"Access_Type = {client.access};", f"Squash = {client.squash};"]
            if client.anon_uid is not None:
                inner.append(f"Anonymous_Uid = {client.anon_uid};")
            if client.anon_gid is not None:
                inner.append(f"Anonymous_Gid = {client.anon_gid};")
            lines.append("CLIENT { " + " ".join(inner) + " }")
        blocks.append("EXPORT {\n" + "".join(f"    {line}\n" for line in lines) + "}\n")
    return "".join(blocks)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def terminate(pid: int, grace: float = 5.0) -> None:
    """SIGTERM ``pid``, SIGKILL it after ``grace`` seconds; returns when it is gone."""
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    with suppress(ProcessLookupError):
        if process_alive(pid):
            os.kill(pid, signal.SIGKILL)


class Ganesha:
    """ganesha.nfsd with its configuration, log and pid file in ``state`` (run it inside a sandbox).

    rpcbind must already run where ganesha starts: without it ganesha exits after "Cannot register
    NFS V3 on UDP".
    """

    def __init__(self, state: Path, program: str = "ganesha.nfsd") -> None:
        self.state = state
        self.program = program
        self.conf = state / "ganesha.conf"
        self.log = state / "ganesha.log"
        self.pidfile = state / "ganesha.pid"

    def _written_pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):  # not there, or not written yet
            return None

    def pid(self) -> int | None:
        """The running daemon's pid, or None."""
        pid = self._written_pid()
        return pid if pid is not None and process_alive(pid) else None

    def start(self, text: str, timeout: float = 30) -> int:
        """Write ``text`` as the configuration, (re)start the daemon, wait until it serves; returns its pid."""
        self.stop()
        self.state.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(text)
        self.pidfile.unlink(missing_ok=True)
        argv = [self.program, "-f", str(self.conf), "-L", str(self.log), "-p", str(self.pidfile), "-N", "NIV_WARN"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise GaneshaError(f"ganesha.nfsd failed to start (exit {done.returncode}): {done.stderr.strip()}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.pid()
            if pid is not None and port_open(NFS_PORT) and port_open(MOUNT_PORT):
                return pid
            written = self._written_pid()
            if written is not None and not process_alive(written):  # it wrote its pid, then died
                break
            time.sleep(0.2)
        log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else "(no log)"
        raise GaneshaError(f"ganesha did not serve within {timeout:g} s; its log: {log}")

    def stop(self) -> None:
        """Stop the daemon if it runs (by its pid file)."""
        pid = self.pid()
        if pid is not None:
            terminate(pid)


REPO = Path(__file__).resolve().parents[1]


def start_rpcbind(sandbox: Sandbox) -> set[int]:
    """Our own rpcbind in ``sandbox`` (ganesha registers with it); returns its pids.

    rpcbind daemonises without a pid file: its pid is the process that is new in the sandbox.
    """
    before = sandbox.pids()
    done = sandbox.run(["rpcbind", "-w"], timeout=30)
    if done.returncode != 0:
        raise GaneshaError(f"rpcbind did not start: {(done.stderr or done.stdout).strip()}")
    try:
        wait_until(lambda: sandbox.run(["rpcinfo", "-p", "127.0.0.1"], timeout=10).returncode == 0, 10, "rpcbind")
    except SandboxUnavailable as exc:
        raise GaneshaError(str(exc)) from None
    return sandbox.pids() - before


def start_in(sandbox: Sandbox, state: Path, text: str) -> int:
    """:meth:`Ganesha.start` with configuration ``text``, inside ``sandbox``; returns the daemon's pid.

    The daemon and the wait for its ports must be in the sandbox's network namespace, so a Python
    inside it does the starting (``python -m tests.ganesha STATE < CONFIG``).
    """
    done = sandbox.run([sys.executable, "-m", "tests.ganesha", str(state)], input=text, cwd=REPO, timeout=90)
    if done.returncode != 0 or not done.stdout.strip().isdigit():
        raise GaneshaError(f"nfs-ganesha did not start: {(done.stderr or done.stdout).strip()[-3000:]}")
    return int(done.stdout)


def main(argv: Sequence[str]) -> int:
    """``python -m tests.ganesha STATE < CONFIG``: start ganesha here, print its pid once it serves."""
    if len(argv) != 1:
        print("usage: python -m tests.ganesha STATE < ganesha.conf", file=sys.stderr)
        return 2
    try:
        pid = Ganesha(Path(argv[0])).start(sys.stdin.read())
    except GaneshaError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(pid)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
