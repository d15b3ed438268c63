"""Provider checks: VirtualBox (found, version, host-only range), libvirt when chosen.

Hyper-V under VirtualBox is a Windows check (:mod:`vagrantkit.doctor.checks.windows`).
"""

from __future__ import annotations

import ipaddress

from vagrantkit.doctor.checks.common import install_command, vagrantfile_facts, version_tuple
from vagrantkit.doctor.checks.vagrant import INSTALL_PAGE, install_fix
from vagrantkit.doctor.facts.virtualbox import DEFAULT_HOSTONLY, virtualbox
from vagrantkit.doctor.model import Category, DoctorContext, Finding, Fix, OnlyOn, check
from vagrantkit.host import OS

# The first Vagrant release that drives each VirtualBox line (hashicorp/vagrant CHANGELOG:
# 7.0 GH-12947 in 2.3.2, 7.1 GH-13513 in 2.4.2, 7.2 GH-13709 in 2.4.9).
VAGRANT_FOR_VIRTUALBOX: dict[tuple[int, ...], tuple[int, ...]] = {
    (7, 0): (2, 3, 2),
    (7, 1): (2, 4, 2),
    (7, 2): (2, 4, 9),
}
NETWORKS_CONF = "/etc/vbox/networks.conf"


def chosen_providers(ctx: DoctorContext) -> set[str]:
    """Providers the Vagrantfile configures, plus VAGRANT_DEFAULT_PROVIDER."""
    facts = vagrantfile_facts(ctx)
    chosen = set(facts.provider_names) if facts else set()
    if ctx.host.env("VAGRANT_DEFAULT_PROVIDER"):
        chosen.add(ctx.host.env("VAGRANT_DEFAULT_PROVIDER") or "")
    return chosen


def _install_virtualbox(ctx: DoctorContext) -> Fix:
    commands = install_command(
        ctx.host,
        {"windows": "Oracle.VirtualBox", "macos": "--cask virtualbox", "fedora": "VirtualBox", "arch": "virtualbox"},
    )
    text = "Install VirtualBox from https://www.virtualbox.org/wiki/Downloads"
    if ctx.host.os is OS.LINUX:
        text += " (Debian and Ubuntu: the virtualbox-7.x package from Oracle's apt repository)"
    return Fix(text + ", then open a new terminal.", commands)


@check("provider.virtualbox", "VirtualBox", Category.PROVIDER)
def virtualbox_installed(ctx: DoctorContext) -> Finding:
    chosen = chosen_providers(ctx)
    vbox = virtualbox(ctx)
    if vbox is None:
        if chosen and "virtualbox" not in chosen:
            return Finding.skip(f"not used (provider: {', '.join(sorted(chosen))})")
        where = "on PATH" + (
            ", in VBOX_MSI_INSTALL_PATH, the registry or %ProgramFiles%" if ctx.host.is_windows else ""
        )
        return Finding.fail(f"VBoxManage was not found {where}", fix=_install_virtualbox(ctx))
    version = version_tuple(vbox.version)
    if not version:
        return Finding.fail(
            f"`{vbox.path} --version` gave no version",
            fix=Fix(
                "VBoxManage runs but does not answer; usually its kernel driver is not loaded. Reinstall "
                "VirtualBox, or on Linux rebuild the driver:",
                ("sudo /sbin/vboxconfig",) if ctx.host.os is OS.LINUX else (),
            ),
        )
    needed = VAGRANT_FOR_VIRTUALBOX.get(version[:2])
    have = version_tuple(ctx.vagrant_version())
    if needed and have and have < needed:
        need = ".".join(map(str, needed))
        return Finding.fail(
            f"VirtualBox {vbox.version} needs Vagrant >= {need} (this is {ctx.vagrant_version()})",
            fix=Fix(
                f"Vagrant {ctx.vagrant_version()} does not know VirtualBox {version[0]}.{version[1]} and refuses to use "
                f"it. Upgrade Vagrant to {need} or newer ({INSTALL_PAGE}):",
                install_fix(ctx).commands,
            ),
            details=(vbox.path,),
        )
    latest = max(VAGRANT_FOR_VIRTUALBOX)
    if version[:2] > latest:
        return Finding.warn(
            f"VirtualBox {vbox.version} is newer than any Vagrant vagrantkit knows supports it",
            fix=Fix(
                "If `vagrant up` says this VirtualBox is not supported, upgrade Vagrant (its changelog names the "
                "VirtualBox lines it supports) or go back to the previous VirtualBox line.",
                install_fix(ctx).commands,
            ),
            details=(vbox.path,),
        )
    if ctx.host.wsl and vbox.on_wsl_path is None:
        folder = vbox.path.rsplit("/", 1)[0]
        return Finding.warn(
            f"VirtualBox {vbox.version} is installed in Windows but VBoxManage.exe is not on the WSL PATH",
            fix=Fix(
                "Vagrant inside WSL calls VBoxManage.exe through PATH. Add its folder in your shell's start-up file:",
                (f"echo 'export PATH=\"$PATH:{folder}\"' >> ~/.bashrc",),
            ),
            details=(vbox.path,),
        )
    return Finding.passed(f"VirtualBox {vbox.version} ({vbox.path})")


def _allowed_ranges(text: str | None) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    if text is None:
        return [ipaddress.ip_network(DEFAULT_HOSTONLY)]
    ranges = []
    for line in text.splitlines():
        parts = line.split("#")[0].split()
        if parts[:1] == ["*"]:
            for part in parts[1:]:
                try:
                    ranges.append(ipaddress.ip_network(part, strict=False))
                except ValueError:
                    continue
    return ranges


@check(
    "provider.hostonly-range",
    "Host-only network range",
    Category.PROVIDER,
    only=OnlyOn(frozenset(OS) - {OS.WINDOWS}, "Windows hosts have no host-only range restriction"),
)
def hostonly_range(ctx: DoctorContext) -> Finding | list[Finding]:
    vbox = virtualbox(ctx)
    if vbox is None:
        return Finding.skip("VirtualBox is not installed")
    if version_tuple(vbox.version) < (6, 1, 28):
        return Finding.skip(f"VirtualBox {vbox.version} predates the 6.1.28 host-only range restriction")
    facts = vagrantfile_facts(ctx)
    ips = facts.static_ips() if facts is not None else []
    if not ips:
        return Finding.skip(f"the Vagrantfile sets no static private_network address (DHCP uses {DEFAULT_HOSTONLY})")
    conf = ctx.host.read_text(NETWORKS_CONF)
    ranges = _allowed_ranges(conf)
    source = NETWORKS_CONF if conf is not None else f"the default {DEFAULT_HOSTONLY} ({NETWORKS_CONF} is absent)"
    findings = []
    for line, address in ips:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            continue
        if not any(ip in r for r in ranges):
            findings.append(
                Finding.fail(
                    f"line {line}: {address} is outside the host-only ranges VirtualBox allows ({source})",
                    fix=Fix(
                        "VirtualBox >= 6.1.28 refuses host-only addresses outside its allowed ranges and "
                        '`vagrant up` stops with "The IP address configured for the host-only network is not '
                        f'within the allowed ranges". Use an address in {DEFAULT_HOSTONLY} (e.g. 192.168.56.10), '
                        f"or allow the range in {NETWORKS_CONF}:",
                        (
                            "sudo mkdir -p /etc/vbox",
                            f"echo '* {ipaddress.ip_network(address + '/24', strict=False)}' | sudo tee -a {NETWORKS_CONF}",
                        ),
                    ),
                    key=f"L{line}",
                )
            )
    if findings:
        return findings
    return Finding.passed(f"{', '.join(a for _, a in ips)} within {source}")


@check("provider.libvirt", "libvirt", Category.PROVIDER)
def libvirt(ctx: DoctorContext) -> Finding:
    if "libvirt" not in chosen_providers(ctx):
        return Finding.skip('not chosen (no `config.vm.provider "libvirt"`, VAGRANT_DEFAULT_PROVIDER unset)')
    if ctx.host.os is not OS.LINUX:
        return Finding.fail(
            "the libvirt provider needs a Linux host",
            fix=Fix(
                "Use the virtualbox provider on this host: `vagrantkit init --provider virtualbox --force`.",
                ("vagrantkit init --provider virtualbox --force",),
            ),
        )
    problems: list[tuple[str, tuple[str, ...]]] = []
    if ctx.has_plugin("vagrant-libvirt") is False:
        problems.append(("the vagrant-libvirt plugin is not installed", ("vagrant plugin install vagrant-libvirt",)))
    if ctx.host.which("virsh") is None and not ctx.host.is_file("/usr/bin/virsh"):
        problems.append(
            (
                "libvirt (virsh) is not installed",
                install_command(
                    ctx.host, {"debian": "libvirt-daemon-system", "fedora": "@virtualization", "arch": "libvirt"}
                ),
            )
        )
    if problems:
        return Finding.fail(
            "; ".join(p for p, _ in problems),
            fix=Fix("Install what is missing:", tuple(c for _, cmds in problems for c in cmds)),
        )
    if not ctx.host.exists("/dev/kvm"):
        return Finding.warn(
            "/dev/kvm is missing: guests run under software emulation (10-50x slower)",
            fix=Fix(
                "Enable virtualisation (VT-x/AMD-V) in the firmware and load the KVM module:",
                ("sudo modprobe kvm_intel || sudo modprobe kvm_amd",),
            ),
        )
    # Only what was looked at: a present /dev/kvm does not prove that KVM runs guests (seen: it
    # opens, and QEMU still aborts or hangs; `libvirt.driver = "qemu"` then emulates instead).
    plugin = "vagrant-libvirt installed, " if ctx.has_plugin("vagrant-libvirt") else ""
    return Finding.passed(f"{plugin}virsh found, /dev/kvm present (whether KVM can run guests is not tested)")
