"""Facts from inside the project's running machine, gathered with one ``vagrant ssh`` call.

The guest side of a synced folder is where its problems show: a folder Vagrant mounted with another
type than the Vagrantfile asks for, UDP after all, an attribute cache other than the one rendered.
:func:`probe` runs one small POSIX shell script in the guest and reads back its mount table, kernel
release, nfs-utils version and the login shell's ``PYTHONPYCACHEPREFIX``.

Every part of the answer is framed by a sentinel line (:mod:`vagrantkit.framing`), so a login
profile that prints something cannot be mistaken for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vagrantkit.django.sharedfolder import Mount, parse_mounts
from vagrantkit.errors import CommandError
from vagrantkit.framing import END, SENTINEL, mark, sections
from vagrantkit.vagrant_adapter import MachineStatus, VagrantAdapter

SECTIONS = ("mounts", "kernel", "nfs-utils", "pycache")
PROBE_TIMEOUT = 60.0
PROBE_SCRIPT = "; ".join(
    [
        mark("mounts"),
        "cat /proc/mounts",
        mark("kernel"),
        "uname -r",
        mark("nfs-utils"),
        "{ /sbin/mount.nfs -V || mount.nfs -V; } 2>&1",
        mark("pycache"),
        "printf '%s\\n' \"${PYTHONPYCACHEPREFIX-}\"",
        mark(END),
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


def parse_probe(machine: MachineStatus, output: str) -> GuestFacts:
    """Turn the probe script's output into :class:`GuestFacts`.

    Raises:
        ProbeFailed: A section or the closing sentinel is missing (the output was cut short).
    """
    found = sections(output)
    missing = [name for name in (*SECTIONS, END) if name not in found]
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
    if not done.ok and SENTINEL + END not in done.stdout:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise ProbeFailed(f"`vagrant ssh {machine.name}` failed: {tail[0]}")
    return parse_probe(machine, done.stdout)
