"""macOS host checks: what macOS alone does to Vagrant's NFS (its privacy-protected home folders)."""

from __future__ import annotations

from vagrantkit.doctor.model import Category, DoctorContext, Finding, Fix, OnlyOn, check
from vagrantkit.host import OS

MACOS_ONLY = OnlyOn(frozenset({OS.MACOS}), "macOS hosts only")

# macOS (10.15+) privacy protection: nfsd cannot read these folders of the home directory unless
# it has Full Disk Access; the export then fails with "does not exist" although the folder is there.
PROTECTED_HOME_FOLDERS = ("Desktop", "Documents", "Downloads")


@check("nfs.macos-privacy", "macOS privacy folders", Category.NFS, only=MACOS_ONLY)
def macos_privacy(ctx: DoctorContext) -> Finding:
    home = ctx.host.home()
    project = ctx.project.as_posix()
    hit = next(
        (f for f in PROTECTED_HOME_FOLDERS if project == f"{home}/{f}" or project.startswith(f"{home}/{f}/")), None
    )
    if hit is None:
        return Finding.passed("the project is outside ~/Desktop, ~/Documents and ~/Downloads")
    return Finding.warn(
        f"the project is in ~/{hit}, which macOS hides from nfsd unless it has Full Disk Access",
        fix=Fix(
            'Otherwise `vagrant up` stops with "exports: ... does not exist". Either move the project out of '
            f"~/{hit}, or give /sbin/nfsd Full Disk Access (System Settings > Privacy & Security > Full Disk "
            "Access > +, press Cmd+Shift+G, type /sbin/nfsd) and restart it:",
            ("mkdir -p ~/projects", f'mv "{ctx.project}" ~/projects/', "sudo nfsd restart"),
        ),
    )
