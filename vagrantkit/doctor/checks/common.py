"""Small helpers several check modules share: versions, the parsed Vagrantfile, package commands."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from vagrantkit.doctor.model import DoctorContext
from vagrantkit.host import OS, Host

if TYPE_CHECKING:
    from vagrantkit.vagrantfile import Vagrantfile

WINNFSD = "vagrant-winnfsd"
# Keeps Python's bytecode on the guest's own disk, off a synced folder (Python 3.8+); run in the guest.
PYCACHE_LINE = "echo 'export PYTHONPYCACHEPREFIX=\"$HOME/.cache/pycache\"' >> ~/.profile"


def version_tuple(text: str | None) -> tuple[int, ...]:
    """``"7.0.14r161095"`` -> ``(7, 0, 14)``; unparsable text gives ``()``."""
    m = re.match(r"\s*(\d+(?:\.\d+)*)", text or "")
    return tuple(int(p) for p in m[1].split(".")) if m else ()


def vagrantfile_facts(ctx: DoctorContext) -> Vagrantfile | None:
    """The parsed Vagrantfile (once per run, the one model every check reads), or None without one."""

    def compute() -> Vagrantfile | None:
        from vagrantkit.vagrantfile import parse_text

        text = ctx.vagrantfile_text()
        return None if text is None else parse_text(text)

    return ctx.cached("vagrantfile.facts", compute)


def uses_sync(ctx: DoctorContext, kind: str) -> bool | None:
    """Whether the Vagrantfile has an enabled synced folder of this type (``nfs``, ``smb``: Vagrant's
    ``type:``, as far as literals tell); None without a Vagrantfile."""
    facts = vagrantfile_facts(ctx)
    return None if facts is None else any(f.type == kind and f.disabled is False for f in facts.folders)


def linux_family(host: Host) -> str:
    """``debian``, ``fedora``, ``arch``, ``suse`` or ``other``, from /etc/os-release ID and ID_LIKE."""
    release = host.os_release()
    ids = f"{release.get('ID', '')} {release.get('ID_LIKE', '')}".split()
    for family, names in (
        ("debian", {"debian", "ubuntu"}),
        ("fedora", {"fedora", "rhel", "centos"}),
        ("arch", {"arch"}),
        ("suse", {"suse", "opensuse"}),
    ):
        if names & set(ids):
            return family
    return "other"


def install_command(host: Host, packages: dict[str, str]) -> tuple[str, ...]:
    """The command that installs a package on this host, from ``{"debian": "...", "fedora": ..., "macos": ...}``."""
    if host.os is OS.MACOS:
        return (f"brew install {packages['macos']}",) if "macos" in packages else ()
    if host.os is OS.WINDOWS:
        return (f"winget install {packages['windows']}",) if "windows" in packages else ()
    family = linux_family(host)
    tool = {
        "debian": "sudo apt-get install -y",
        "fedora": "sudo dnf install -y",
        "arch": "sudo pacman -S",
        "suse": "sudo zypper install",
    }
    if family in tool and family in packages:
        return (f"{tool[family]} {packages[family]}",)
    return ()
