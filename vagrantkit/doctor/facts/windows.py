"""Windows facts: processes (tasklist), sockets (netstat), firewall rules (netsh), the hypervisor and
virtualization-based security, elevation (whoami), the SMB server (its service, settings, registry)."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import PureWindowsPath
from typing import Any

from vagrantkit.doctor.model import DoctorContext
from vagrantkit.host import Host


def processes(ctx: DoctorContext) -> dict[int, str] | None:
    """PID -> image name from ``tasklist /fo csv /nh`` (once per run)."""

    def compute() -> dict[int, str] | None:
        out = ctx.host.output(["tasklist", "/fo", "csv", "/nh"], timeout=15)
        if out is None:
            return None
        table = {}
        for row in csv.reader(out.splitlines()):
            if len(row) >= 2 and row[1].isdigit():
                table[int(row[1])] = row[0]
        return table

    return ctx.cached("tasklist", compute)


def listeners(ctx: DoctorContext) -> list[tuple[str, str, int, int]] | None:
    """(protocol, address, port, pid) of listening TCP and bound UDP sockets, from ``netstat -ano``."""

    def compute() -> list[tuple[str, str, int, int]] | None:
        out = ctx.host.output(["netstat", "-ano"], timeout=20)
        if out is None:
            return None
        found = []
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[0] in ("TCP", "UDP") and parts[-1].isdigit():
                if parts[0] == "TCP" and (len(parts) < 5 or parts[3] != "LISTENING"):
                    continue
                address, _, port = parts[1].rpartition(":")
                if port.isdigit():
                    found.append((parts[0], address, int(port), int(parts[-1])))
        return found

    return ctx.cached("netstat", compute)


def firewall_rules(ctx: DoctorContext, name: str) -> list[dict[str, str]] | None:
    """The rules called ``name`` (``netsh advfirewall firewall show rule``), [] when none; None when netsh failed.

    ``verbose``: without it netsh leaves out the rule's ``Program``.
    """

    def compute() -> list[dict[str, str]] | None:
        argv = ["netsh", "advfirewall", "firewall", "show", "rule", f"name={name}", "verbose"]
        done = ctx.host.run(argv, timeout=15)
        if done is None:
            return None
        rules: list[dict[str, str]] = []
        for line in done.stdout.splitlines():
            key, sep, value = line.partition(":")
            if not sep or key.startswith("-"):
                continue
            key, value = key.strip(), value.strip()
            if key == "Rule Name":
                rules.append({})
            if rules:
                rules[-1][key] = value
        return rules

    return ctx.cached(f"netsh:{name}", compute)


def allowing_rules(rules: list[dict[str, str]]) -> list[dict[str, str]]:
    """The enabled inbound rules that allow, among ``rules`` (as ``firewall_rules`` gives them)."""
    return [
        r
        for r in rules
        if r.get("Direction", "").lower() == "in"
        and r.get("Enabled", "").lower() == "yes"
        and r.get("Action", "").lower() == "allow"
    ]


def hypervisor_present(ctx: DoctorContext) -> bool | None:
    """Whether a hypervisor (Hyper-V, under WSL 2, Sandbox, VBS...) runs Windows; None when PowerShell failed."""

    def compute() -> bool | None:
        out = powershell(ctx.host, "(Get-CimInstance -ClassName Win32_ComputerSystem).HypervisorPresent")
        return None if out is None else out.strip().lower() == "true"

    return ctx.cached("windows.hypervisor", compute)


def firewall_rule_names(ctx: DoctorContext, pattern: str) -> list[str] | None:
    """The names of the firewall rules matching ``pattern`` (a PowerShell wildcard), each once; None when
    PowerShell failed. netsh's ``name=`` takes no wildcard."""

    def compute() -> list[str] | None:
        out = powershell(
            ctx.host,
            f"(Get-NetFirewallRule -DisplayName '{pattern}' -ErrorAction SilentlyContinue).DisplayName",
        )
        return None if out is None else list(dict.fromkeys(line.strip() for line in out.splitlines() if line.strip()))

    return ctx.cached(f"firewall-names:{pattern}", compute)


def same_windows_path(host: Host, written: str, path: str) -> bool:
    """Whether two Windows paths name the same file: ``%VAR%`` expanded, case and slashes ignored."""
    expanded = re.sub(r"%([^%]+)%", lambda m: host.env(m[1]) or m[0], written.strip().strip('"'))
    return PureWindowsPath(expanded) == PureWindowsPath(path)


def powershell(host: Host, command: str, timeout: float = 20) -> str | None:
    """What a PowerShell command prints (None when it fails), without the user's profile."""
    return host.output(["powershell", "-NoProfile", "-Command", command], timeout=timeout)


def powershell_json(host: Host, command: str) -> Any:
    """A PowerShell command's ``ConvertTo-Json`` answer, decoded; None when it fails or is not JSON."""
    out = powershell(host, command)
    try:
        return None if out is None or not out.strip() else json.loads(out)
    except ValueError:
        return None


@dataclass(frozen=True)
class DeviceGuard:
    """Win32_DeviceGuard: whether virtualization-based security runs, and Memory integrity (HVCI) with it."""

    vbs_running: bool  # VirtualizationBasedSecurityStatus 2
    hvci_running: bool  # SecurityServicesRunning holds 2


def device_guard(ctx: DoctorContext) -> DeviceGuard | None:
    """Virtualization-based security as Windows reports it, None when it cannot be asked."""

    def compute() -> DeviceGuard | None:
        answer = powershell_json(
            ctx.host,
            r"Get-CimInstance -ClassName Win32_DeviceGuard -Namespace root\Microsoft\Windows\DeviceGuard"
            " | Select-Object VirtualizationBasedSecurityStatus,SecurityServicesRunning | ConvertTo-Json",
        )
        if not isinstance(answer, dict):
            return None
        services = answer.get("SecurityServicesRunning")
        services = services if isinstance(services, list) else [services]
        return DeviceGuard(answer.get("VirtualizationBasedSecurityStatus") == 2, 2 in services)

    return ctx.cached("windows.deviceguard", compute)


# The integrity level of an elevated ("Run as administrator") process (whoami /groups).
HIGH_MANDATORY_LEVEL = "S-1-16-12288"


def elevated(ctx: DoctorContext) -> bool | None:
    """Whether doctor (and so the terminal it runs in) is elevated; None when whoami failed."""
    out = ctx.host.output(["whoami", "/groups"], timeout=15)
    return None if out is None else HIGH_MANDATORY_LEVEL in out


def service_state(ctx: DoctorContext, name: str) -> str | None:
    """A Windows service's state from ``sc query`` (``RUNNING``, ``STOPPED``...), None when unknown."""
    out = ctx.host.output(["sc", "query", name], timeout=15)
    m = re.search(r"STATE\s*:\s*\d+\s+(\w+)", out or "")
    return m[1].upper() if m else None


@dataclass(frozen=True)
class SmbServer:
    """What Get-SmbServerConfiguration says about the protocol versions the SMB server speaks."""

    smb1: bool
    smb2: bool  # SMB 2 and 3 (one switch)


def smb_server(ctx: DoctorContext) -> SmbServer | None:
    """The SMB server's protocol switches, None when PowerShell could not tell."""
    answer = powershell_json(
        ctx.host,
        "Get-SmbServerConfiguration | Select-Object EnableSMB1Protocol,EnableSMB2Protocol | ConvertTo-Json",
    )
    if not isinstance(answer, dict) or "EnableSMB2Protocol" not in answer:
        return None
    return SmbServer(answer.get("EnableSMB1Protocol") is True, answer.get("EnableSMB2Protocol") is True)


LANMAN_PARAMETERS = r"HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters"
AUTODISCONNECT_DEFAULT = 15  # minutes, when the value is absent
AUTODISCONNECT_OFF = 0xFFFFFFFF  # `net config server /autodisconnect:-1`


def autodisconnect(ctx: DoctorContext) -> tuple[int, bool]:
    """The SMB server's idle-session timeout in minutes and whether the registry sets it (else the default)."""
    value = ctx.host.registry_value(LANMAN_PARAMETERS, "autodisconnect")
    if value is None:
        return AUTODISCONNECT_DEFAULT, False
    try:
        return int(value, 0), True
    except ValueError:
        return AUTODISCONNECT_DEFAULT, False
