"""The macOS/Linux NFS server's facts: exportfs, and /etc/exports as written."""

from __future__ import annotations

from vagrantkit.doctor.model import DoctorContext

EXPORTS = "/etc/exports"


def find_exportfs(ctx: DoctorContext) -> str | None:
    """exportfs on PATH or in the sbin folders (often not on a user's PATH)."""
    found = ctx.host.which("exportfs")
    if found:
        return found
    return next((p for p in ("/usr/sbin/exportfs", "/sbin/exportfs") if ctx.host.is_file(p)), None)


def exports_text(ctx: DoctorContext) -> str | None:
    """/etc/exports' text (read once per run), None when it is absent or unreadable."""
    return ctx.cached("nfs.exports", lambda: ctx.host.read_text(EXPORTS))
