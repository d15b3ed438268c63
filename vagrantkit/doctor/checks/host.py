"""Host checks: which OS this is, and whether Vagrant inside WSL can reach Windows' VirtualBox."""

from __future__ import annotations

import re

from vagrantkit.doctor.model import Category, DoctorContext, Finding, Fix, check
from vagrantkit.host import OS


@check("host.os", "Operating system", Category.HOST)
def operating_system(ctx: DoctorContext) -> Finding:
    host = ctx.host
    details = (f"system: {host.system}", f"release: {host.release}", f"version: {host.version}")
    if host.os is OS.OTHER:
        return Finding.warn(
            f"{host.describe()} ({host.machine}): vagrantkit knows Windows, macOS and Linux hosts only",
            fix=Fix("The checks below may not apply; NFS synced folders are tested on Windows, macOS and Linux."),
            details=details,
        )
    return Finding.passed(f"{host.describe()} ({host.machine})", details=details)


# /mnt/c/... (the default automount root) or a drive mounted elsewhere by /etc/wsl.conf is hard to
# know without running wslpath; the default root covers almost every setup.
_WINDOWS_DRIVE = re.compile(r"^/mnt/[a-z](/|$)")


@check("host.wsl", "WSL", Category.HOST)
def wsl(ctx: DoctorContext) -> list[Finding] | Finding:
    host = ctx.host
    version = host.wsl
    if version is None:
        return Finding.skip("not running inside WSL")
    findings = []
    if host.env("VAGRANT_WSL_ENABLE_WINDOWS_ACCESS") != "1":
        findings.append(
            Finding.fail(
                f"WSL {version}: VAGRANT_WSL_ENABLE_WINDOWS_ACCESS is not set to 1",
                fix=Fix(
                    "Vagrant inside WSL drives the Windows VirtualBox only with Windows access enabled. "
                    "Set it in your shell's start-up file:",
                    (
                        "echo 'export VAGRANT_WSL_ENABLE_WINDOWS_ACCESS=\"1\"' >> ~/.bashrc",
                        'export VAGRANT_WSL_ENABLE_WINDOWS_ACCESS="1"',
                    ),
                ),
                key="windows-access",
            )
        )
    if not _WINDOWS_DRIVE.match(ctx.project.as_posix()):
        findings.append(
            Finding.fail(
                f"WSL {version}: the project ({ctx.project}) is not on a Windows drive",
                fix=Fix(
                    "VirtualBox runs on Windows and cannot reach files inside the WSL file system; Vagrant "
                    "refuses to run there. Move the project under /mnt/c (or another Windows drive):",
                    ("mkdir -p /mnt/c/projects", f"mv {ctx.project} /mnt/c/projects/"),
                ),
                key="project-drive",
            )
        )
    if findings:
        return findings
    return Finding.passed(f"WSL {version}: Windows access enabled, project on a Windows drive")
