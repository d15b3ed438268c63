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

from vagrantkit.doctor.checks.common import WINNFSD, uses_sync, vagrantfile_facts, version_tuple
from vagrantkit.doctor.facts.virtualbox import all_vms, nem_lines, running_vms
from vagrantkit.doctor.facts.windows import (
    AUTODISCONNECT_OFF,
    LANMAN_PARAMETERS,
    allowing_rules,
    autodisconnect,
    device_guard,
    elevated,
    firewall_rule_names,
    firewall_rules,
    hypervisor_present,
    listeners,
    processes,
    same_windows_path,
    service_state,
    smb_server,
)
from vagrantkit.doctor.facts.winnfsd import (
    plugin_exe_pattern,
    plugin_version,
    rule_name,
    winnfsd_exe,
    winnfsd_pids,
)
from vagrantkit.doctor.guest import GuestFacts
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
    nfs = uses_sync(ctx, "nfs")
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


def _rule_lines(name: str, exe: str) -> tuple[str, ...]:
    """The netsh commands that add the plugin's rule for ``exe``, limited to private networks."""
    return tuple(
        f'netsh advfirewall firewall add rule name="{name}" dir={d} action=allow protocol=any program="{exe}" '
        "profile=private"
        for d in ("in", "out")
    )


def _delete_lines(names: list[str]) -> tuple[str, ...]:
    return tuple(f'netsh advfirewall firewall delete rule name="{n}"' for n in names)


@check("nfs.winnfsd-firewall", "WinNFSd firewall rule", Category.NFS, only=WINDOWS_ONLY)
def winnfsd_firewall(ctx: DoctorContext) -> Finding:
    name = rule_name(ctx)
    if name is None:
        return Finding.skip("vagrant-winnfsd is not installed")
    rules = firewall_rules(ctx, name)
    if rules is None:
        return Finding.skip("could not run netsh")
    exe = winnfsd_exe(ctx)
    add = _rule_lines(name, exe or "winnfsd.exe")
    older = [n for n in firewall_rule_names(ctx, "VagrantWinNFSd-*") or () if n.lower() != name.lower()]
    left = f"; rules of older plugin versions are left too: {', '.join(older)}" if older else ""
    inbound = [r for r in rules if r.get("Direction", "").lower() == "in"]
    if not inbound:
        return Finding.fail(
            f"no inbound firewall rule {name}: Windows drops the guest's NFS requests and the mount hangs{left}",
            fix=Fix(
                "The plugin adds the rule the first time Vagrant runs in a terminal opened as Administrator. "
                "Add it yourself in an Administrator prompt:",
                add + _delete_lines(older),
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
    # A rule without a program (or "Any") lets every program in; one naming another path lets none of ours.
    programs = [r.get("Program", "Any") for r in allowing]
    tied = "any" not in {p.lower() for p in programs}
    if exe is not None and tied and not any(same_windows_path(ctx.host, p, exe) for p in programs):
        return Finding.fail(
            f"{name} allows {programs[0]}, not the winnfsd.exe Vagrant starts ({exe}): Windows drops the "
            f"guest's NFS requests and the mount hangs{left}",
            fix=Fix(
                "The plugin names winnfsd.exe's path when it adds the rule and only looks the rule up by name "
                "afterwards, so after a Vagrant or plugin upgrade (a new gem folder) the rule still allows the "
                "old path (winnfsd/vagrant-winnfsd#107, #117). Replace it with one for the current path, in an "
                "Administrator prompt:",
                _delete_lines([name]) + add + _delete_lines(older),
            ),
            details=(*(f"rule program: {p}" for p in programs), f"winnfsd.exe in use: {exe}"),
        )
    if older:
        return Finding.warn(
            f"{name} allows inbound ({allowing[0].get('Profiles', '?')}), but rules of older plugin versions are "
            f"left: {', '.join(older)}",
            fix=Fix(
                "Each plugin version adds its own rule and none removes the last one's: these still let the "
                "winnfsd.exe of an old gem folder in. Delete them (Administrator prompt):",
                _delete_lines(older),
            ),
        )
    return Finding.passed(
        f"{name} allows inbound ({allowing[0].get('Profiles', '?')})",
        details=tuple(f"rule program: {p}" for p in programs),
    )


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


# Memory integrity (HVCI) is switched by this registry value (Microsoft: "Enable memory integrity").
HVCI_OFF = (
    r'reg add "HKLM\SYSTEM\CurrentControlSet\Control\DeviceGuard\Scenarios\HypervisorEnforcedCodeIntegrity" '
    "/v Enabled /t REG_DWORD /d 0 /f"
)


@check("provider.hyperv", "Hyper-V", Category.PROVIDER, only=WINDOWS_ONLY)
def hyperv(ctx: DoctorContext) -> Finding:
    present = hypervisor_present(ctx)
    if present is None:
        return Finding.skip("could not ask Windows whether a hypervisor is running (powershell failed)")
    if not present:
        return Finding.passed("no hypervisor running: VirtualBox has VT-x/AMD-V to itself")
    guard = device_guard(ctx)
    if guard is not None and guard.hvci_running:
        what = "Hyper-V is running, with Memory integrity (virtualization-based security, HVCI) on it"
    elif guard is not None and guard.vbs_running:
        what = "Hyper-V is running, with virtualization-based security on it"
    else:
        what = "Hyper-V (or WSL 2, Windows Sandbox, Memory integrity) is running"
    nem = nem_lines(ctx)
    if nem:
        what += f"; VirtualBox ran {', '.join(sorted(nem))} in NEM mode (its VBox.log says so)"
    details = [f"{log}: {line}" for _, (log, lines) in sorted(nem.items()) for line in lines]
    memory_integrity = (
        "Turn Memory integrity off (Windows Security > Device security > Core isolation details > Memory "
        "integrity, or the registry value below) and "
        if guard is None or guard.hvci_running
        else ""
    )
    return Finding.warn(
        what,
        fix=Fix(
            "VirtualBox then runs its VMs through Hyper-V (NEM, a green turtle in the VM window): much slower, "
            f"and VirtualBox < 6 cannot start them at all. {memory_integrity or 'Turn '}the hypervisor off at boot "
            "(as Administrator, then restart Windows). WSL 2, Docker Desktop and Windows Sandbox stop working "
            "until you turn it back on with `bcdedit /set hypervisorlaunchtype auto`:",
            ((HVCI_OFF,) if guard is not None and guard.hvci_running else ())
            + ("bcdedit /set hypervisorlaunchtype off",),
        ),
        details=details,
    )


# WinNFSd and guest kernels from 5.19 on: "Input/output error" reading files created on the Windows
# side (winnfsd/winnfsd#101; 5.14 and older fine), zero-byte files written over TCP (winnfsd#62),
# "Read of 253 bytes failed with errno=5" (laravel/homestead#1966).
WINNFSD_BAD_KERNEL = (5, 19)
# The kernel common boxes ship, for when no machine runs to ask: a guess said as one (a box can be
# upgraded to another kernel, e.g. Ubuntu's HWE).
BOX_KERNELS = {
    "bento/ubuntu-20.04": "5.4",
    "ubuntu/focal64": "5.4",
    "bento/ubuntu-22.04": "5.15",
    "ubuntu/jammy64": "5.15",
    "bento/ubuntu-24.04": "6.8",
    "ubuntu/noble64": "6.8",
    "bento/debian-11": "5.10",
    "debian/bullseye64": "5.10",
    "bento/debian-12": "6.1",
    "debian/bookworm64": "6.1",
}


def guest_kernels(ctx: DoctorContext) -> list[tuple[str, str | None, str]]:
    """(machine, kernel or None, where it comes from) for each machine of the Vagrantfile: the running
    guest's ``uname -r``, else the kernel its box is known to ship (inferred), else None."""
    model = vagrantfile_facts(ctx)
    if model is None:
        return []
    machines, _ = ctx.machines()
    read: dict[str, str] = {}
    for status in machines:
        if status.state == "running" and isinstance(facts := ctx.guest(status), GuestFacts):
            read[status.name] = facts.kernel
    found: list[tuple[str, str | None, str]] = []
    for machine in model.machine_names():
        name = "default" if machine is None else machine.label
        if name in read:
            found.append((name, read.pop(name), "read from the running guest"))
            continue
        box = model.box(machine)
        if isinstance(box, str) and box.lower() in BOX_KERNELS:
            found.append((name, BOX_KERNELS[box.lower()], f"inferred from the box {box}, not read from the guest"))
        else:
            what = f"box {box}" if isinstance(box, str) else "its box"
            found.append((name, None, f"{what} is not one vagrantkit knows the kernel of"))
    found += [(name, kernel, "read from the running guest") for name, kernel in read.items()]
    return found


@check("nfs.winnfsd-guest-kernel", "Guest kernel with WinNFSd", Category.NFS, only=WINDOWS_ONLY)
def winnfsd_guest_kernel(ctx: DoctorContext) -> Finding | list[Finding]:
    nfs = uses_sync(ctx, "nfs")
    if not nfs:
        return Finding.skip("no Vagrantfile" if nfs is None else "the Vagrantfile has no NFS folder")
    kernels = guest_kernels(ctx)
    several = len(kernels) > 1
    findings = []
    for machine, kernel, source in kernels:
        key = machine if several else None
        if kernel is None:
            findings.append(
                Finding.skip(f"{machine}: the guest kernel is unknown ({source}); `vagrant up` and run doctor again")
            )
            continue
        if version_tuple(kernel) < WINNFSD_BAD_KERNEL:
            findings.append(
                Finding.passed(f"{machine}: kernel {kernel} ({source}): older than 5.19, not affected", key=key)
            )
            continue
        findings.append(
            Finding.warn(
                f"{machine}: kernel {kernel} ({source}): 5.19 or newer, where reads over WinNFSd can fail with "
                '"Input/output error"',
                fix=Fix(
                    "With guest kernels from 5.19 on, files created on the Windows side fail to read "
                    "(winnfsd/winnfsd#101; 5.14 and older are fine), files written over TCP can end up zero bytes "
                    '(winnfsd/winnfsd#62), and PHP reports "Read of 253 bytes failed with errno=5" '
                    "(laravel/homestead#1966); WinNFSd has no fix. Use a box with an older kernel, or an SMB "
                    "folder, and compare them on this project (bench measures SMB when it is mounted):",
                    ("vagrantkit init --sync smb --force", "vagrant reload", "vagrantkit bench"),
                ),
                key=key,
            )
        )
    return findings


def _smb_applies(ctx: DoctorContext) -> Finding | None:
    """The SKIP of an SMB check when the project has no SMB folder (the checks cost PowerShell runs)."""
    smb = uses_sync(ctx, "smb")
    if smb is None:
        return Finding.skip("no Vagrantfile")
    if not smb:
        return Finding.skip('the Vagrantfile has no SMB folder (type: "smb"); checked when it has one')
    return None


@check("smb.server", "SMB server service", Category.SMB, only=WINDOWS_ONLY)
def smb_service(ctx: DoctorContext) -> Finding:
    if (skip := _smb_applies(ctx)) is not None:
        return skip
    state = service_state(ctx, "LanmanServer")
    if state is None:
        return Finding.skip("could not ask for the Server service (sc query LanmanServer)")
    if state == "RUNNING":
        return Finding.passed("the Server service (LanmanServer) is running")
    return Finding.fail(
        f"the Server service (LanmanServer) is {state.lower()}: Windows shares no folder and the guest cannot mount",
        fix=Fix(
            "Vagrant shares the project through Windows' own SMB server. Start it, and at every boot "
            "(Administrator prompt):",
            ("sc config LanmanServer start= auto", "net start LanmanServer"),
        ),
    )


@check("smb.elevated", "Administrator prompt for SMB", Category.SMB, only=WINDOWS_ONLY)
def smb_elevated(ctx: DoctorContext) -> Finding:
    if (skip := _smb_applies(ctx)) is not None:
        return skip
    admin = elevated(ctx)
    if admin is None:
        return Finding.skip("could not run whoami /groups")
    if admin:
        return Finding.passed("this terminal runs as Administrator (High Mandatory Level)")
    return Finding.warn(
        "this terminal is not elevated: Vagrant's SMB share needs Administrator rights",
        fix=Fix(
            "Vagrant's SMB host runs PowerShell elevated to add and remove the share: from a normal terminal "
            "every `vagrant up` and `vagrant halt` stops at a UAC prompt (and fails where nobody answers it). "
            'Run Vagrant in a terminal opened with "Run as administrator", e.g.:',
            ("powershell -Command Start-Process powershell -Verb RunAs",),
        ),
    )


@check("smb.versions", "SMB protocol versions", Category.SMB, only=WINDOWS_ONLY)
def smb_versions(ctx: DoctorContext) -> Finding:
    if (skip := _smb_applies(ctx)) is not None:
        return skip
    server = smb_server(ctx)
    if server is None:
        return Finding.skip("Get-SmbServerConfiguration gave no answer (it may need an Administrator prompt)")
    if not server.smb2:
        return Finding.fail(
            "SMB 2/3 is turned off on this server: the guest's cifs client cannot mount",
            fix=Fix(
                "Linux guests mount with SMB 2.1 or 3; Windows serves both through one switch. Turn it on "
                "(Administrator PowerShell):",
                ("Set-SmbServerConfiguration -EnableSMB2Protocol $true -Force",),
            ),
        )
    if server.smb1:
        return Finding.warn(
            "SMB 1 is on: an insecure protocol (the one WannaCry spread through) nothing here needs",
            fix=Fix(
                "Vagrant's guests mount with SMB 2 or 3. Turn SMB 1 off (Administrator PowerShell):",
                ("Set-SmbServerConfiguration -EnableSMB1Protocol $false -Force",),
            ),
        )
    return Finding.passed("SMB 2/3 on, SMB 1 off")


@check("smb.autodisconnect", "SMB idle disconnect", Category.SMB, only=WINDOWS_ONLY)
def smb_autodisconnect(ctx: DoctorContext) -> Finding:
    if (skip := _smb_applies(ctx)) is not None:
        return skip
    minutes, written = autodisconnect(ctx)
    if minutes == AUTODISCONNECT_OFF:
        return Finding.passed("off: idle sessions are kept")
    source = "" if written else " (the default: the registry sets no autodisconnect)"
    return Finding.warn(
        f"the SMB server drops sessions idle for {minutes} minutes{source}: the guest gets I/O errors after a pause",
        fix=Fix(
            f"Windows closes an idle SMB session after autodisconnect minutes ({LANMAN_PARAMETERS}); the guest's "
            "next read on the synced folder then fails until the mount recovers. Turn it off (Administrator "
            "prompt):",
            ("net config server /autodisconnect:-1",),
        ),
    )
