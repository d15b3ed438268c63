"""What the rendered Vagrantfile says about the mount options it renders: those options, no others.

Each sync type has its own notes (an option means something else to mount.cifs than to nfs(5)).

Every note is vagrantkit's own text; a user's option is never copied into a comment (only
numbers read from it, as ints), so the one way a user value reaches the file stays the `ruby`
filter. An option without a note here is summed up in one line pointing at nfs(5).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vagrantkit.render.options import UDP_OPTIONS

# The width of an option's column, as `nfs_udp: false  ` above it in the template.
_COLUMN = 16

_NFS_NOTES: dict[str, tuple[str, ...]] = {
    "nolock": ("WinNFSd (Windows hosts) has no lock manager: locks would hang",),
    "actimeo=0": ("no attribute cache: every stat asks the host (always fresh, slowest)",),
    "noac": ("no attribute cache: every stat asks the host (always fresh, slowest)",),
    "actimeo=1": ("a host edit reaches the guest (runserver's reloader) within 1 s, not 60 s",),
    "actimeo=60": (
        "stat answered from the guest's cache for a minute: runserver's reloader",
        "and test runs about as fast as on the guest's own disk",
    ),
    "nocto": ("opens answered from that cache too (test discovery, imports)",),
    "tcp": ("NFS over TCP, as nfs_udp: false already asks",),
    "proto=tcp": ("NFS over TCP, as nfs_udp: false already asks",),
}
_UDP_NOTE = ("NFS over UDP, rendered with --force: newer guests refuse it (above)",)
_SMB_NOTES: dict[str, tuple[str, ...]] = {
    "vers=3.02": (
        "SMB 3.0.2: SMB1 is off on current Windows and insecure; this replaces",
        "the vers=2.0 Vagrant asks for on Windows hosts",
    ),
    "vers=3.1.1": ("SMB 3.1.1 (Windows 10 and later hosts)",),
    "vers=3.0": ("SMB 3.0",),
    "vers=2.1": ("SMB 2.1",),
    "vers=1.0": ("SMB1, rendered with --force: insecure, and off on current Windows",),
    "vers=1": ("SMB1, rendered with --force: insecure, and off on current Windows",),
    "mfsymlinks": ("symlinks as Minshall+French files, as Vagrant already asks",),
    "nobrl": ("no byte-range locks sent to the host",),
}
_NOTES = {"nfs": _NFS_NOTES, "smb": _SMB_NOTES}
_MANUAL = {"nfs": "man 5 nfs", "smb": "man 8 mount.cifs"}
_NUMBER = "(0|[1-9][0-9]{0,8})"
_ACTIMEO = re.compile(f"actimeo={_NUMBER}")
_SIZE = re.compile(f"([rw])size={_NUMBER}")
_OTHERS = "the other options are as given with --mount-option (see `{}`)"


def _note(option: str, sync: str) -> tuple[str, tuple[str, ...]] | None:
    """The option as the note names it and the note's lines, or None for an option without one."""
    notes = _NOTES.get(sync, {})
    if option in notes:
        return option, notes[option]
    if option in UDP_OPTIONS and sync == "nfs":
        return option, _UDP_NOTE
    if m := _ACTIMEO.fullmatch(option):
        seconds = int(m[1])
        return f"actimeo={seconds}", (
            f"a host edit reaches the guest within {seconds} s (attributes cached that long)",
        )
    if m := _SIZE.fullmatch(option):
        size, verb = int(m[2]), "reads" if m[1] == "r" else "writes"
        return f"{m[1]}size={size}", (f"{verb} of up to {size:,} bytes per request",)
    return None


def mount_option_notes(options: Sequence[str], sync: str = "nfs") -> list[str]:
    """The comment lines (without ``#``) that explain ``options`` of a ``sync`` folder, in their order."""
    lines: list[str] = []
    unexplained = False
    for option in options:
        found = _note(option, sync)
        if found is None:
            unexplained = True
            continue
        name, text = found
        first, *rest = text
        lines.append(f"{name:<{_COLUMN - 1}} {first}")
        lines += [" " * _COLUMN + line for line in rest]
    if unexplained:
        lines.append(_OTHERS.format(_MANUAL.get(sync, "man 8 mount")))
    return lines


def cache_words(options: Sequence[str]) -> str | None:
    """How long a host edit can stay unseen in the guest, in words: ``a minute`` (NFS's default), ``30 s``.

    None when the options turn the attribute cache off.
    """
    seconds = 60
    for option in options:
        if m := _ACTIMEO.fullmatch(option):
            seconds = int(m[1])
        elif option == "noac":
            seconds = 0
    if seconds == 0:
        return None
    return "a minute" if seconds == 60 else f"{seconds} s"
