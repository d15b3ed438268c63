"""Facts from inside the project's running machine, gathered with one ``vagrant ssh`` call.

The guest side of a synced folder is where its problems show: a folder Vagrant mounted with another
type than the Vagrantfile asks for, UDP after all, an attribute cache other than the one rendered.
:func:`probe` runs one small POSIX shell script in the guest and reads back its mount table, kernel
release, nfs-utils version and the login shell's ``PYTHONPYCACHEPREFIX``.

``vagrant ssh -c`` runs the script through the user's login shell, so a profile that prints
something would mix its words into the output: every section is framed by a sentinel line, and
only what lies between the sentinels is read. The script is ASCII (Vagrant hands it to ssh as a
command-line argument, which Windows converts to the console's code page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vagrantkit.django.sharedfolder import Mount, parse_mounts
from vagrantkit.errors import CommandError
from vagrantkit.vagrant_adapter import MachineStatus, VagrantAdapter

SENTINEL = "@@vagrantkit:"
SECTIONS = ("mounts", "kernel", "nfs-utils", "pycache")
PROBE_TIMEOUT = 60.0
PROBE_SCRIPT = "; ".join(
    [
        f"printf '%s\\n' '{SENTINEL}mounts'",
        "cat /proc/mounts",
        f"printf '%s\\n' '{SENTINEL}kernel'",
        "uname -r",
        f"printf '%s\\n' '{SENTINEL}nfs-utils'",
        "{ /sbin/mount.nfs -V || mount.nfs -V; } 2>&1",
        f"printf '%s\\n' '{SENTINEL}pycache'",
        "printf '%s\\n' \"${PYTHONPYCACHEPREFIX-}\"",
        f"printf '%s\\n' '{SENTINEL}end'",
    ]
)
_NFS_UTILS = re.compile(r"nfs-utils (\d+(?:\.\d+)+)")


@dataclass(frozen=True)
class GuestFacts:
    """What one running machine showed.

    Attributes:
        machine: Vagrant's name for it (``default``).
        provider: ``virtualbox``, ``libvirt``...
        mounts: Its mount table.
        kernel: ``uname -r``.
        nfs_utils: The nfs-utils version of its ``mount.nfs``, None when it has none.
        pycache_prefix: ``PYTHONPYCACHEPREFIX`` in the vagrant user's login shell, None when unset.
    """

    machine: str
    provider: str
    mounts: tuple[Mount, ...]
    kernel: str
    nfs_utils: str | None
    pycache_prefix: str | None


class ProbeFailed(CommandError):
    """The machine runs but the probe got no complete answer (ssh failed, timed out, or was cut short)."""


def sections(output: str) -> dict[str, list[str]]:
    """The lines of each framed section; text outside the frames (a chatty profile) is dropped."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.replace("\r\n", "\n").split("\n"):
        if line.startswith(SENTINEL):
            current = found.setdefault(line[len(SENTINEL) :].strip(), [])
            continue
        if current is not None:
            current.append(line)
    return found


def parse_probe(machine: MachineStatus, output: str) -> GuestFacts:
    """Turn the probe script's output into :class:`GuestFacts`.

    Raises:
        ProbeFailed: A section or the closing sentinel is missing (the output was cut short).
    """
    found = sections(output)
    missing = [name for name in (*SECTIONS, "end") if name not in found]
    if missing:
        raise ProbeFailed(f"the guest's answer lacks {', '.join(missing)} (cut short?)")
    version = _NFS_UTILS.search("\n".join(found["nfs-utils"]))
    prefix = "\n".join(found["pycache"]).strip()
    return GuestFacts(
        machine=machine.name,
        provider=machine.provider,
        mounts=tuple(parse_mounts("\n".join(found["mounts"]))),
        kernel="\n".join(found["kernel"]).strip(),
        nfs_utils=version[1] if version else None,
        pycache_prefix=prefix or None,
    )


def probe(adapter: VagrantAdapter, machine: MachineStatus, timeout: float = PROBE_TIMEOUT) -> GuestFacts:
    """Run the probe in ``machine`` (one ``vagrant ssh``) and read its answer.

    Raises:
        ProbeFailed: ssh failed or the answer is incomplete.
        CommandError: `vagrant` could not be run or timed out.
    """
    done = adapter.ssh(PROBE_SCRIPT, machine=machine.name, timeout=timeout)
    if not done.ok and SENTINEL + "end" not in done.stdout:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise ProbeFailed(f"`vagrant ssh {machine.name}` failed: {tail[0]}")
    return parse_probe(machine, done.stdout)
