"""vagrant-winnfsd facts: the plugin's version, its winnfsd.exe, the firewall rule's name, running daemons."""

from __future__ import annotations

import re

from vagrantkit.doctor.checks.common import WINNFSD, version_tuple
from vagrantkit.doctor.facts.windows import processes
from vagrantkit.doctor.model import DoctorContext


def plugin_version(ctx: DoctorContext) -> str | None:
    """The installed vagrant-winnfsd version, from `vagrant plugin list` or the gem folder."""
    for plugin in ctx.plugins() or ():
        if plugin.name == WINNFSD:
            return plugin.version.split(",")[0].strip()
    exe = winnfsd_exe(ctx)
    m = re.search(r"vagrant-winnfsd-(\d[\w.]*)", exe or "")
    return m[1] if m else None


def plugin_exe_pattern(ctx: DoctorContext) -> str:
    """The glob of the winnfsd.exe the plugin's gems ship, one per installed version."""
    return str(ctx.host.vagrant_home() / "gems" / "*" / "gems" / "vagrant-winnfsd-*" / "bin" / "winnfsd.exe")


def winnfsd_exe(ctx: DoctorContext) -> str | None:
    """The plugin's winnfsd.exe (newest version), else a standalone WinNFSd on PATH."""

    def compute() -> str | None:
        host = ctx.host
        pattern = plugin_exe_pattern(ctx)
        found = sorted(host.glob(pattern), key=lambda p: version_tuple(re.sub(r".*vagrant-winnfsd-", "", p)))
        return found[-1] if found else host.which("winnfsd")

    return ctx.cached("winnfsd.exe", compute)


def winnfsd_pids(ctx: DoctorContext) -> frozenset[int] | None:
    """The PIDs of the running winnfsd.exe processes, None when tasklist failed."""
    names = processes(ctx)
    if names is None:
        return None
    return frozenset(pid for pid, name in names.items() if name.lower() == "winnfsd.exe")


def rule_name(ctx: DoctorContext) -> str | None:
    """The firewall rule the plugin adds for its version (``VagrantWinNFSd-1.4.0``), None without the plugin."""
    version = plugin_version(ctx)
    return f"VagrantWinNFSd-{version}" if version else None
