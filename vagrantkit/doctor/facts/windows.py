"""Windows facts: processes (tasklist), sockets (netstat), firewall rules (netsh), the hypervisor."""

from __future__ import annotations

import csv

from vagrantkit.doctor.model import DoctorContext


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
    """The rules called ``name`` (``netsh advfirewall firewall show rule``), [] when none; None when netsh failed."""

    def compute() -> list[dict[str, str]] | None:
        done = ctx.host.run(["netsh", "advfirewall", "firewall", "show", "rule", f"name={name}"], timeout=15)
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
        out = ctx.host.output(
            [
                "powershell",
                "-NoProfile",
                "-Command",
                "(Get-CimInstance -ClassName Win32_ComputerSystem).HypervisorPresent",
            ],
            timeout=20,
        )
        return None if out is None else out.strip().lower() == "true"

    return ctx.cached("windows.hypervisor", compute)
