"""Vagrantfile checks: found, linted as text (never executed), and `vagrant validate`'s verdict."""

from __future__ import annotations

import re

from vagrantkit.doctor.checks.common import vagrantfile_facts
from vagrantkit.doctor.lint import LintFinding, lint
from vagrantkit.doctor.model import Category, DoctorContext, Finding, Fix, Status, check

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


def show_edit(item: LintFinding) -> str:
    """The reason, then the line as written and as corrected (indentation of the file removed)."""
    indent = len(item.written) - len(item.written.lstrip())
    fixed = [line[indent:] if not line[:indent].strip() else line.lstrip() for line in item.corrected.splitlines()]
    out = [item.why, f"  line {item.line}:".ljust(13) + item.written.strip(), "  corrected: " + fixed[0]]
    out += [" " * 13 + line for line in fixed[1:]]
    return "\n".join(out)


@check("vagrantfile.lint", "Vagrantfile lint", Category.VAGRANTFILE)
def vagrantfile_lint(ctx: DoctorContext) -> list[Finding] | Finding:
    text = ctx.vagrantfile_text()
    if text is None:
        return Finding.skip("no Vagrantfile")
    findings = []
    for item in lint(text, windows_host=ctx.host.is_windows, facts=vagrantfile_facts(ctx)):
        make = Finding.fail if item.status is Status.FAIL else Finding.warn
        findings.append(
            make(f"line {item.line}: {item.message}", fix=Fix(show_edit(item)), key=f"L{item.line}:{item.rule}")
        )
    if not findings:
        return Finding.passed("none of the known mistakes")
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
