"""VirtualBox facts: where VBoxManage is, its version, the registered and running VMs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vagrantkit.doctor.model import DoctorContext
from vagrantkit.host import OS, Host

# VirtualBox >= 6.1.28 on Linux and macOS only lets host-only networks use these ranges unless
# /etc/vbox/networks.conf says otherwise (VirtualBox manual, "Host-Only Networking").
DEFAULT_HOSTONLY = "192.168.56.0/21"


@dataclass(frozen=True)
class VirtualBox:
    path: str
    version: str  # "7.0.14r161095"
    on_wsl_path: str | None = None  # inside WSL: VBoxManage.exe as found on the WSL PATH


def _vboxmanage_candidates(host: Host) -> list[str]:
    if host.is_windows:
        folders = []
        for var in ("VBOX_MSI_INSTALL_PATH", "VBOX_INSTALL_PATH"):  # set by the VirtualBox installer
            folders += [f for f in (host.env(var) or "").split(";") if f]
        folders.append((host.env("ProgramFiles") or "C:\\Program Files") + "\\Oracle\\VirtualBox")
        return [str(host.path(f, "VBoxManage.exe")) for f in folders]
    if host.wsl:
        return ["/mnt/c/Program Files/Oracle/VirtualBox/VBoxManage.exe"]
    if host.os is OS.MACOS:
        return ["/usr/local/bin/VBoxManage", "/Applications/VirtualBox.app/Contents/MacOS/VBoxManage"]
    return ["/usr/bin/VBoxManage", "/usr/local/bin/VBoxManage"]


def find_vboxmanage(host: Host, on_wsl_path: str | None = None) -> str | None:
    """VBoxManage on PATH, in the installer's variables, the registry, or the default install folder.

    Inside WSL, ``on_wsl_path`` is VBoxManage.exe as the caller found it on PATH (or None).
    """
    found = host.which("VBoxManage") or on_wsl_path
    if found:
        return found
    for candidate in _vboxmanage_candidates(host):
        if host.is_file(candidate):
            return candidate
    if host.is_windows:
        folder = host.registry_value(r"HKLM\SOFTWARE\Oracle\VirtualBox", "InstallDir")
        if folder and host.is_file(str(host.path(folder, "VBoxManage.exe"))):
            return str(host.path(folder, "VBoxManage.exe"))
    return None


def virtualbox(ctx: DoctorContext) -> VirtualBox | None:
    """VBoxManage and its version (looked up once per run), or None when VirtualBox is missing."""

    def compute() -> VirtualBox | None:
        on_wsl_path = ctx.host.which("VBoxManage.exe") if ctx.host.wsl else None
        path = find_vboxmanage(ctx.host, on_wsl_path)
        if path is None:
            return None
        out = ctx.host.output([path, "--version"], timeout=15)
        return VirtualBox(path, (out or "").strip().splitlines()[-1] if out and out.strip() else "", on_wsl_path)

    return ctx.cached("virtualbox", compute)


def running_vms(ctx: DoctorContext) -> list[str] | None:
    """UUIDs of running VirtualBox VMs (`VBoxManage list runningvms`), None when unknown."""
    return _vbox_list(ctx, "runningvms")


def all_vms(ctx: DoctorContext) -> list[str] | None:
    """UUIDs of all registered VirtualBox VMs (`VBoxManage list vms`), None when unknown."""
    return _vbox_list(ctx, "vms")


def _vbox_list(ctx: DoctorContext, what: str) -> list[str] | None:
    def compute() -> list[str] | None:
        vbox = virtualbox(ctx)
        if vbox is None:
            return None
        out = ctx.host.output([vbox.path, "list", what], timeout=15)
        return None if out is None else re.findall(r"\{([0-9a-fA-F-]{36})\}", out)

    return ctx.cached(f"vbox.{what}", compute)


def project_vms(ctx: DoctorContext) -> dict[str, str]:
    """Machine name -> VirtualBox VM UUID of the project's created VirtualBox machines.

    Read from Vagrant's own id files (``.vagrant/machines/<name>/virtualbox/id``), the project's state.
    """
    found = {}
    for id_file in ctx.created_machines():
        if id_file.parent.name != "virtualbox":
            continue
        try:
            uuid = id_file.read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if uuid:
            found[id_file.parent.parent.name] = uuid
    return found


def vm_log(ctx: DoctorContext, uuid: str) -> tuple[str, str] | None:
    """(path, text) of a VM's current ``VBox.log`` (``Logs`` beside its settings file), None when unreadable."""
    vbox = virtualbox(ctx)
    if vbox is None:
        return None
    info = ctx.host.output([vbox.path, "showvminfo", uuid, "--machinereadable"], timeout=15)
    m = re.search(r'^CfgFile="(.*)"\s*$', info or "", re.M)
    if m is None:
        return None
    # VirtualBox 6.1+ escapes backslashes and quotes in machine-readable values.
    settings = re.sub(r'\\(["\\])', r"\1", m[1])
    path = str(ctx.host.path(settings).parent / "Logs" / "VBox.log")
    text = ctx.host.read_text(path)
    return None if text is None else (path, text)


# What VBox.log says when VirtualBox finds Hyper-V holding VT-x/AMD-V and runs the VM through
# Windows' Hypervisor Platform API instead (NEM, "snail" or "turtle" mode).
NEM_LINE = re.compile(
    r"^.*(?:HMR3Init: Attempting fall back to NEM|NEM: WHvCapabilityCodeHypervisorPresent is TRUE"
    r"|NEM:.*[Ss]nail execution mode).*$",
    re.M,
)


def nem_lines(ctx: DoctorContext) -> dict[str, tuple[str, list[str]]]:
    """Machine name -> (its VBox.log, the lines saying it ran in NEM mode), for the project's VMs that did."""

    def compute() -> dict[str, tuple[str, list[str]]]:
        found = {}
        for machine, uuid in project_vms(ctx).items():
            log = vm_log(ctx, uuid)
            if log is not None and (lines := [line.strip() for line in NEM_LINE.findall(log[1])]):
                found[machine] = (log[0], lines)
        return found

    return ctx.cached("vbox.nem", compute)
