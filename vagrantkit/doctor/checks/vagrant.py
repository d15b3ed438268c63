"""Vagrant checks: installed, which version, which plugins."""

from __future__ import annotations

from vagrantkit.doctor.checks.common import install_command
from vagrantkit.doctor.model import Category, DoctorContext, Finding, Fix, check

INSTALL_PAGE = "https://developer.hashicorp.com/vagrant/install"


def install_fix(ctx: DoctorContext) -> Fix:
    """How to install Vagrant on this host."""
    commands = install_command(
        ctx.host,
        {
            "windows": "Hashicorp.Vagrant",
            "macos": "--cask hashicorp/tap/hashicorp-vagrant",
            "debian": "vagrant",
            "fedora": "vagrant",
            "arch": "vagrant",
        },
    )
    return Fix(f"Install Vagrant ({INSTALL_PAGE}), then open a new terminal so that it is on PATH.", commands)


@check("vagrant.installed", "Vagrant", Category.VAGRANT)
def installed(ctx: DoctorContext) -> Finding:
    version = ctx.vagrant_version()
    where = ctx.host.which("vagrant")
    if version is None:
        return Finding.fail(
            "`vagrant` was not found on PATH" if where is None else f"`{where} --version` gave no version",
            fix=install_fix(ctx),
            details=(f"PATH: {ctx.host.env('PATH') or ''}",),
        )
    return Finding.passed(f"Vagrant {version}" + (f" ({where})" if where else ""))


@check("vagrant.plugins", "Vagrant plugins", Category.VAGRANT)
def plugins(ctx: DoctorContext) -> Finding:
    if ctx.vagrant_version() is None:
        return Finding.skip("Vagrant is not installed")
    found = ctx.plugins()
    if found is None:
        return Finding.warn(
            "`vagrant plugin list` failed",
            fix=Fix(
                "A plugin that no longer loads breaks every Vagrant command. Let Vagrant rebuild its plugin "
                "environment; if that does not help, remove the plugins and install them again.",
                ("vagrant plugin repair", "vagrant plugin expunge --reinstall"),
            ),
        )
    if not found:
        return Finding.passed("no plugins installed")
    return Finding.passed(", ".join(f"{p.name} {p.version}" for p in found))
