"""Windows host checks: Hyper-V under VirtualBox; vagrant-winnfsd, its WinNFSd executable, firewall rule,
ports, process and nfspaths.

The facts they read (tasklist, netstat, netsh, PowerShell) are gathered in
:mod:`vagrantkit.doctor.facts.windows` and :mod:`vagrantkit.doctor.facts.winnfsd`.

Facts from the plugin (winnfsd/vagrant-winnfsd): it ships ``bin/winnfsd.exe``; on every Vagrant
start it adds the firewall rules ``VagrantWinNFSd-<version>`` (in and out, profile=any); it keeps
the exported paths in ``<Vagrant home>\\nfspaths`` between ``# VAGRANT-BEGIN: <uid> <machine id>``
and ``# VAGRANT-END`` markers; ``nfsservice.bat start`` does nothing when a winnfsd.exe is already
running, so a leftover daemon keeps serving the old path list. WinNFSd listens on 111 (portmap),
1058 (mount) and 2049 (NFS).
"""

from __future__ import annotations

import re

from vagrantkit.doctor.checks.common import WINNFSD, uses_nfs, version_tuple
from vagrantkit.doctor.facts.virtualbox import all_vms, running_vms
from vagrantkit.doctor.facts.windows import allowing_rules, firewall_rules, hypervisor_present, listeners, processes
from vagrantkit.doctor.facts.winnfsd import (
    plugin_exe_pattern,
    plugin_version,
    rule_name,
    winnfsd_exe,
    winnfsd_pids,
)
from vagrantkit.doctor.model import WINDOWS_ONLY, Category, DoctorContext, Finding, Fix, check

PORTS = {111: "portmap", 1058: "mount", 2049: "nfs"}
INSTALL = "vagrant plugin install vagrant-winnfsd"
# Vagrant >= 2.2.10 no longer ignores NFS folders on Windows hosts (hashicorp/vagrant GH-11631):
# without the plugin `vagrant up` stops with "It appears your machine doesn't support NFS".
NFS_ENFORCED = (2, 2, 10)
# Beyond this many export blocks the file is no longer what one project needs (pruning failed).
NFSPATHS_MAX_BLOCKS = 10
NFSPATHS_MAX_BYTES = 16 * 1024


@check("nfs.winnfsd-plugin", "vagrant-winnfsd plugin", Category.NFS, only=WINDOWS_ONLY)
def winnfsd_plugin(ctx: DoctorContext) -> Finding:
    version = ctx.vagrant_version()
    if version is None:
        return Finding.skip("Vagrant is not installed")
    installed = ctx.has_plugin(WINNFSD)
    if installed is None:
        return Finding.skip("`vagrant plugin list` failed (see vagrant.plugins)")
    if installed:
        return Finding.passed(f"vagrant-winnfsd {plugin_version(ctx)} installed")
    nfs = uses_nfs(ctx)
    fix = Fix("Windows has no NFS server Vagrant can drive; the plugin brings WinNFSd. Install it:", (INSTALL,))
    enforced = version_tuple(version) >= NFS_ENFORCED
    if enforced:
        message = (
            f"not installed: with Vagrant {version} (>= 2.2.10) `vagrant up` stops with "
            '"It appears your machine doesn\'t support NFS"'
        )
    else:
        message = f"not installed: Vagrant {version} silently falls back to slow VirtualBox shared folders"
    if nfs is False:
        return Finding.warn(message + " (the Vagrantfile has no NFS folder yet)", fix=fix)
    return Finding.fail(message, fix=fix) if enforced else Finding.warn(message, fix=fix)


@check("nfs.winnfsd-exe", "WinNFSd executable", Category.NFS, only=WINDOWS_ONLY)
def winnfsd_executable(ctx: DoctorContext) -> Finding:
    exe = winnfsd_exe(ctx)
    if exe is not None:
        return Finding.passed(exe)
    if not ctx.has_plugin(WINNFSD):
        return Finding.skip("vagrant-winnfsd is not installed (see nfs.winnfsd-plugin)")
    return Finding.fail(
        "vagrant-winnfsd is installed but winnfsd.exe is missing (often quarantined by antivirus)",
        fix=Fix(
            "Allow the file in your antivirus (restore it from quarantine and exclude the folder), then "
            "reinstall the plugin so that the executable is back:",
            (f"vagrant plugin uninstall {WINNFSD}", INSTALL),
        ),
        details=(f"looked for {plugin_exe_pattern(ctx)}",),
    )


@check("nfs.winnfsd-firewall", "WinNFSd firewall rule", Category.NFS, only=WINDOWS_ONLY)
def winnfsd_firewall(ctx: DoctorContext) -> Finding:
    name = rule_name(ctx)
    if name is None:
        return Finding.skip("vagrant-winnfsd is not installed")
    rules = firewall_rules(ctx, name)
    if rules is None:
        return Finding.skip("could not run netsh")
    exe = winnfsd_exe(ctx) or "winnfsd.exe"
    add = (
        f'netsh advfirewall firewall add rule name="{name}" dir=in action=allow protocol=any program="{exe}" profile=private',
        f'netsh advfirewall firewall add rule name="{name}" dir=out action=allow protocol=any program="{exe}" profile=private',
    )
    inbound = [r for r in rules if r.get("Direction", "").lower() == "in"]
    if not inbound:
        return Finding.fail(
            f"no inbound firewall rule {name}: Windows drops the guest's NFS requests and the mount hangs",
            fix=Fix(
                "The plugin adds the rule the first time Vagrant runs in a terminal opened as Administrator. "
                "Add it yourself in an Administrator prompt:",
                add,
            ),
        )
    allowing = allowing_rules(inbound)
    if not allowing:
        return Finding.fail(
            f"the inbound rule {name} is disabled or blocks",
            fix=Fix(
                "Enable it as an allowing rule (Administrator prompt):",
                (f'netsh advfirewall firewall set rule name="{name}" dir=in new enable=yes action=allow',),
            ),
            details=tuple(f"{k}: {v}" for k, v in inbound[0].items()),
        )
    return Finding.passed(f"{name} allows inbound ({allowing[0].get('Profiles', '?')})")


@check("nfs.winnfsd-ports", "NFS ports 111, 1058, 2049", Category.NFS, only=WINDOWS_ONLY)
def winnfsd_ports(ctx: DoctorContext) -> Finding | list[Finding]:
    sockets = listeners(ctx)
    names = processes(ctx)
    winnfsd = winnfsd_pids(ctx)
    if sockets is None or names is None or winnfsd is None:
        return Finding.skip("could not run netstat or tasklist")
    findings = []
    held: dict[int, set[int]] = {}
    for _proto, _address, port, pid in sockets:
        if port in PORTS:
            held.setdefault(port, set()).add(pid)
    for port, pids in sorted(held.items()):
        for pid in sorted(pids - winnfsd):
            name = names.get(pid, "?")
            findings.append(
                Finding.fail(
                    f"port {port} ({PORTS[port]}) is held by {name} (PID {pid}): WinNFSd cannot start",
                    fix=Fix(
                        "Another NFS server or portmapper (Windows' Server for NFS, Hanewin, a second WinNFSd "
                        "copy) owns the port. See which service it is and stop it, or end the process:",
                        (f'tasklist /svc /fi "PID eq {pid}"', f"taskkill /pid {pid} /f"),
                    ),
                    key=str(port),
                )
            )
    if findings:
        return findings
    free = [p for p in sorted(PORTS) if p not in held]
    holder = [p for p in sorted(PORTS) if p in held]
    parts = []
    if free:
        parts.append(f"{', '.join(map(str, free))} free")
    if holder:
        parts.append(f"{', '.join(map(str, holder))} held by winnfsd.exe")
    return Finding.passed("; ".join(parts))


@check("nfs.winnfsd-process", "WinNFSd process", Category.NFS, only=WINDOWS_ONLY)
def winnfsd_process(ctx: DoctorContext) -> Finding:
    winnfsd = winnfsd_pids(ctx)
    if winnfsd is None:
        return Finding.skip("could not run tasklist")
    pids = sorted(winnfsd)
    if not pids:
        return Finding.passed("not running (Vagrant starts it at `vagrant up`)")
    stop = ("taskkill /f /im winnfsd.exe",)
    if len(pids) > 1:
        return Finding.warn(
            f"{len(pids)} winnfsd.exe processes (PIDs {', '.join(map(str, pids))}) fight over the same ports",
            fix=Fix("Stop them all; the next `vagrant up` starts one:", stop),
        )
    running = running_vms(ctx)
    if running is not None and not running:
        return Finding.warn(
            f"winnfsd.exe (PID {pids[0]}) is running but no VM is: a stale daemon",
            fix=Fix(
                "Vagrant only starts WinNFSd when none is running, so this one keeps serving the exports of an "
                'earlier `vagrant up`; a new or moved project then fails to mount ("access denied by server"). '
                "Stop it; the next `vagrant up` starts a fresh one:",
                stop,
            ),
        )
    return Finding.passed(f"running (PID {pids[0]})")


@check("nfs.winnfsd-nfspaths", "WinNFSd exports file (nfspaths)", Category.NFS, only=WINDOWS_ONLY)
def winnfsd_nfspaths(ctx: DoctorContext) -> Finding:
    path = str(ctx.host.vagrant_home() / "nfspaths")
    text = ctx.host.read_text(path)
    if text is None:
        return Finding.passed(f"{path} not there yet (the first NFS `vagrant up` writes it)")
    blocks = re.findall(r"^# VAGRANT-BEGIN:(?: \d+)? ([A-Za-z0-9-]+)\s*$(.*?)^# VAGRANT-END", text, re.M | re.S)
    info = ctx.host.stat(path)
    size = info.size if info else len(text.encode())
    known = all_vms(ctx)
    stale = []
    for machine, body in blocks:
        folders = [line.strip() for line in body.splitlines() if line.strip()]
        gone = [f for f in folders if not ctx.host.is_dir(f)]
        if (known is not None and machine.lower() not in {k.lower() for k in known}) or gone:
            stale.append(machine)
    fix = Fix(
        "WinNFSd reads this list at start; exports of deleted VMs or moved folders linger and slow it down. "
        "Stop WinNFSd and delete the file; the next `vagrant up` writes the exports it needs:",
        ("taskkill /f /im winnfsd.exe", f'del "{path}"'),
    )
    details = tuple(f"machine {m}" for m, _ in blocks)
    if stale:
        return Finding.warn(
            f"{len(stale)} of {len(blocks)} export block(s) are stale (VM or folder gone)", fix=fix, details=details
        )
    if len(blocks) > NFSPATHS_MAX_BLOCKS or size > NFSPATHS_MAX_BYTES:
        return Finding.warn(f"{path} is large ({len(blocks)} export blocks, {size} bytes)", fix=fix, details=details)
    return Finding.passed(f"{len(blocks)} export block(s), none stale", details=details)


@check("provider.hyperv", "Hyper-V", Category.PROVIDER, only=WINDOWS_ONLY)
def hyperv(ctx: DoctorContext) -> Finding:
    present = hypervisor_present(ctx)
    if present is None:
        return Finding.skip("could not ask Windows whether a hypervisor is running (powershell failed)")
    if not present:
        return Finding.passed("no hypervisor running: VirtualBox has VT-x/AMD-V to itself")
    return Finding.warn(
        "Hyper-V (or WSL 2, Windows Sandbox, Memory integrity) is running",
        fix=Fix(
            "VirtualBox then runs its VMs on top of Hyper-V: much slower (a green turtle in the VM window), "
            "and VirtualBox < 6 cannot start them at all. Turn the hypervisor off at boot (as Administrator, then "
            "restart Windows; WSL 2 and Docker Desktop stop working until you turn it back on with `auto`):",
            ("bcdedit /set hypervisorlaunchtype off",),
        ),
    )
