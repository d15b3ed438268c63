"""Security checks: who else can mount the project folder.

WinNFSd listens on every interface (0.0.0.0) and the rule vagrant-winnfsd adds allows it on every
firewall profile (``profile=any``, see checks/windows.py): on a public Wi-Fi the project folder is
exported to everybody on that network. On Linux and macOS, Vagrant exports to the guest's address
only; a hand-written export to ``*`` or a whole network exports it further.
"""

from __future__ import annotations

import ipaddress
import re

from vagrantkit.doctor.facts.exports import EXPORTS, exports_text
from vagrantkit.doctor.facts.virtualbox import DEFAULT_HOSTONLY
from vagrantkit.doctor.facts.windows import allowing_rules, firewall_rules, listeners
from vagrantkit.doctor.facts.winnfsd import rule_name, winnfsd_pids
from vagrantkit.doctor.model import UNIX_ONLY, WINDOWS_ONLY, Category, DoctorContext, Finding, Fix, check
from vagrantkit.host import OS


@check("security.winnfsd-exposure", "WinNFSd exposure", Category.SECURITY, only=WINDOWS_ONLY)
def winnfsd_exposure(ctx: DoctorContext) -> Finding:
    name = rule_name(ctx)
    if name is None:
        return Finding.skip("vagrant-winnfsd is not installed")
    rules = firewall_rules(ctx, name)
    if not rules:
        return Finding.skip(f"no {name} firewall rule (see nfs.winnfsd-firewall)")
    inbound = allowing_rules(rules)
    open_rules = [
        r
        for r in inbound
        if ("public" in r.get("Profiles", "").lower() or r.get("Profiles", "").lower() in ("any", "all"))
        and r.get("RemoteIP", "Any").lower() in ("any", "")
    ]
    winnfsd = winnfsd_pids(ctx) or frozenset()
    sockets = {
        (port, address)
        for _, address, port, pid in listeners(ctx) or []
        if pid in winnfsd and address in ("0.0.0.0", "[::]")
    }
    bound = [f"{address}:{port}" for port, address in sorted(sockets)]
    where = f" (listening on {', '.join(bound)})" if bound else ""
    if not open_rules:
        profiles = ", ".join(sorted({r.get("Profiles", "?") for r in inbound})) or "none"
        return Finding.passed(f"{name} is limited (profiles: {profiles}){where}")
    return Finding.warn(
        f"WinNFSd binds 0.0.0.0 and {name} allows it on public networks: the project is exported to every network this PC joins{where}",
        fix=Fix(
            "Limit the rule to private networks and to VirtualBox's host-only range, and mark the host-only "
            "adapter's network as private (Windows files it as an unidentified public network). In an "
            "Administrator PowerShell:",
            (
                "Get-NetConnectionProfile -InterfaceAlias 'VirtualBox Host-Only*' | Set-NetConnectionProfile -NetworkCategory Private",
                f'netsh advfirewall firewall set rule name="{name}" dir=in new profile=private remoteip={DEFAULT_HOSTONLY}',
            ),
        ),
        details=tuple(f"{k}: {v}" for k, v in open_rules[0].items()),
    )


def _wide_linux(client: str) -> bool:
    host = client.split("(")[0]
    if host in ("", "*") or any(c in host for c in "*?[") or host.startswith("@"):
        return True
    if "/" in host:
        try:
            net = ipaddress.ip_network(host, strict=False)
        except ValueError:
            return True
        return net.num_addresses > 1
    return False


def _macos_options(words: list[str]) -> tuple[list[str], list[str]]:
    """macOS exports(5) words after the path: (flags, with ``-network X``/``-mask Y`` joined; hosts)."""
    flags: list[str] = []
    hosts: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("-network", "-mask") and i + 1 < len(words):
            flags.append(f"{word} {words[i + 1]}")
            i += 2
            continue
        (flags if word.startswith("-") else hosts).append(word)
        i += 1
    return flags, hosts


def _logical_lines(text: str) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#")[0].rstrip()
        if pending is not None:
            line = pending[1] + " " + line.lstrip()
            n = pending[0]
            pending = None
        if line.endswith("\\"):
            pending = (n, line[:-1])
            continue
        if line.strip():
            lines.append((n, line))
    return lines


@check("security.nfs-exports", "NFS export scope", Category.SECURITY, only=UNIX_ONLY)
def nfs_exports_scope(ctx: DoctorContext) -> Finding | list[Finding]:
    text = exports_text(ctx)
    if text is None:
        return Finding.skip(f"{EXPORTS} is absent or unreadable")
    findings = []
    for n, line in _logical_lines(text):
        parts = re.findall(r'"[^"]*"|\S+', line)
        path, rest = parts[0], parts[1:]
        if ctx.host.os is OS.MACOS:
            flags, hosts = _macos_options(rest)
            wide = any(f.startswith(("-network", "-mask")) for f in flags) or not hosts
            kept = [f for f in flags if not f.startswith(("-network", "-mask"))]
            corrected = " ".join([path, *kept, "<guest-ip>"])
        else:
            wide_clients = [c for c in rest if _wide_linux(c)]
            wide = bool(wide_clients)
            corrected = " ".join(
                [path, *(("<guest-ip>" + c[len(c.split("(")[0]) :]) if c in wide_clients else c for c in rest)]
            )
        if wide:
            apply = "sudo exportfs -ra" if ctx.host.os is OS.LINUX else "sudo nfsd update"
            findings.append(
                Finding.warn(
                    f"line {n}: {path} is exported wider than one host-only address",
                    fix=Fix(
                        "Anyone on a network this host is on can mount it. Export to the guest's host-only address "
                        "only (Vagrant's own entries do), then reload the exports:",
                        (f"sudoedit {EXPORTS}", apply),
                    ),
                    details=(f"written:   {line.strip()}", f"corrected: {corrected}"),
                    key=f"L{n}",
                )
            )
    if findings:
        return findings
    return Finding.passed("every export names single hosts")
