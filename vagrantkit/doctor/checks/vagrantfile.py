"""Vagrantfile checks: found, linted from its syntax tree (never executed), and `vagrant validate`'s verdict."""

from __future__ import annotations

import re

from vagrantkit.doctor.checks.common import vagrantfile_facts
from vagrantkit.doctor.model import Category, DoctorContext, Finding, Fix, check
from vagrantkit.host import OS
from vagrantkit.vagrantfile.lint import Reported, lint
from vagrantkit.vagrantfile.report import finding_data
from vagrantkit.vagrantfile.rules import Host, Severity

VALIDATE = "vagrant validate --ignore-provider"


@check("vagrantfile.found", "Vagrantfile", Category.VAGRANTFILE)
def found(ctx: DoctorContext) -> Finding:
    if ctx.vagrantfile is None:
        return Finding.warn(
            f"no Vagrantfile in {ctx.project} or any folder above it",
            fix=Fix(
                "Run doctor in the project folder, point it at the file with --vagrantfile, or render a "
                "Vagrantfile with a private network and a tuned NFS folder:",
                ("vagrantkit init",),
            ),
        )
    if ctx.vagrantfile_text() is None:
        return Finding.fail(
            f"{ctx.vagrantfile} cannot be read",
            fix=Fix(
                "Give your user read access to it.",
                () if ctx.host.is_windows else (f'chmod u+r "{ctx.vagrantfile}"',),
            ),
        )
    return Finding.passed(str(ctx.vagrantfile))


def host_kind(ctx: DoctorContext) -> Host:
    """The lint rules' host: this machine's OS (WSL runs the Windows side's Vagrant)."""
    if ctx.host.is_windows:
        return Host.WINDOWS
    return Host.MACOS if ctx.host.os is OS.MACOS else Host.LINUX


def show_edit(item: Reported) -> str:
    """The reason, then the lines as written and as corrected (the file's indentation removed)."""
    written = item.written.splitlines() or [""]
    indent = min((len(x) - len(x.lstrip()) for x in written if x.strip()), default=0)
    out = [item.why]
    out += [(f"  line {item.line}:" if k == 0 else "").ljust(13) + line[indent:] for k, line in enumerate(written)]
    if item.corrected is None:
        out.append(f"  no automatic fix: {item.unfixable}")
        return "\n".join(out)
    fixed = [line[indent:] if not line[:indent].strip() else line.lstrip() for line in item.corrected.splitlines()]
    out += [("  corrected: " if k == 0 else " " * 13) + line for k, line in enumerate(fixed)]
    return "\n".join(out)


@check("vagrantfile.lint", "Vagrantfile lint", Category.VAGRANTFILE)
def vagrantfile_lint(ctx: DoctorContext) -> list[Finding] | Finding:
    model = vagrantfile_facts(ctx)
    if model is None:
        return Finding.skip("no Vagrantfile")
    result = lint(model.source, host=host_kind(ctx), model=model)
    notes = [f"line {line}: {what}" for line, what in result.not_checked]
    findings = []
    for item in result.findings:
        make = Finding.fail if item.severity is Severity.FAIL else Finding.warn
        findings.append(
            make(
                f"line {item.line}: {item.message}",
                fix=Fix(show_edit(item)),
                key=item.id,
                data=finding_data(item),
            )
        )
    if not findings:
        return Finding.passed("none of the known mistakes", details=notes)
    return findings


def first_sentence(output: str) -> str:
    """The first sentence of Vagrant's first paragraph (its messages are hard-wrapped at ~70 columns)."""
    paragraph = " ".join(line.strip() for line in output.strip().split("\n\n")[0].splitlines())
    sentence = re.split(r"(?<=[.!?])\s", paragraph, maxsplit=1)[0]
    return sentence or "failed"


@check("vagrantfile.validate", "vagrant validate", Category.VAGRANTFILE)
def validate(ctx: DoctorContext) -> Finding:
    done = ctx.validate()
    if done is None:  # validate() runs nothing without a Vagrantfile or without Vagrant
        return Finding.skip("no Vagrantfile" if ctx.vagrantfile is None else "Vagrant is not installed")
    output = (done.stderr.strip() + "\n" + done.stdout.strip()).strip()
    lines = tuple(line for line in output.splitlines() if line.strip())
    if done.returncode == -1:
        return Finding.warn(
            f"`{VALIDATE}` could not run: {done.stderr}",
            fix=Fix(
                "Run it yourself to see where Vagrant hangs (a plugin, a network call in the Vagrantfile):", (VALIDATE,)
            ),
        )
    if done.ok:
        return Finding.passed(lines[-1] if lines else "Vagrantfile validated successfully.")
    return Finding.fail(
        f"Vagrant rejects the Vagrantfile: {first_sentence(output)}",
        fix=Fix("-v shows Vagrant's whole message; fix what it names, then run it again:", (VALIDATE,)),
        details=lines,
    )
