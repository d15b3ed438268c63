"""Rendering a :class:`DoctorResult`: rich text for people, the versioned JSON envelope for scripts.

Human output is deterministic when it does not go to a terminal (no colour, a fixed width), so
that tests can compare it exactly and it reads the same in CI logs.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.text import Text

from vagrantkit.doctor.core import DoctorResult
from vagrantkit.doctor.model import Category, Check, CheckResult, Status
from vagrantkit.result import PIPED_WIDTH, envelope, to_jsonable

FIXED_WIDTH = PIPED_WIDTH
MARKS = {Status.PASS: "✓", Status.WARN: "!", Status.FAIL: "✗", Status.SKIP: "-"}
STYLES = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "bold red", Status.SKIP: "dim"}
HEADINGS = {
    Category.HOST: "Host",
    Category.VAGRANT: "Vagrant",
    Category.PROVIDER: "Provider",
    Category.NFS: "NFS",
    Category.SMB: "SMB",
    Category.VAGRANTFILE: "Vagrantfile",
    Category.GUEST: "Guest",
    Category.SECURITY: "Security",
    Category.DJANGO: "Django",
}
WORDS = {Status.PASS: "passed", Status.WARN: "warning", Status.FAIL: "failed", Status.SKIP: "skipped"}


def _console(color: bool, width: int | None, buffer: io.StringIO) -> Console:
    return Console(
        file=buffer,
        width=width or FIXED_WIDTH,
        color_system="standard" if color else None,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
    )


def _wrapped(console: Console, text: str | Text, indent: int, style: str = "") -> None:
    """Print ``text`` wrapped at the console width, every line indented by ``indent``."""
    body = text if isinstance(text, Text) else Text(text, style=style)
    for line in body.wrap(console, console.width - indent):
        line.rstrip()
        console.print(Text(" " * indent) + line, soft_wrap=True)


def _hanging(console: Console, text: Text, indent: int) -> None:
    """Print ``text`` wrapped at the console width, lines after the first indented by ``indent``."""
    first = text.wrap(console, console.width)[0]
    rest = text[len(first.plain) :]
    rest = rest[len(rest.plain) - len(rest.plain.lstrip()) :]
    first.rstrip()
    console.print(first, soft_wrap=True)
    if rest.plain:
        _wrapped(console, rest, indent)


def _verbatim(console: Console, text: str, indent: int, style: str = "") -> None:
    """Print a line as it is (code: never wrapped, never folded)."""
    console.print(Text(" " * indent + text, style=style), soft_wrap=True)


def _result(console: Console, r: CheckResult, *, verbose: bool, prompt: str) -> None:
    head = Text("  ")
    head.append(f"[{MARKS[r.status]}]", style=STYLES[r.status])
    head.append(f" {r.title}", style="bold")
    if verbose:
        head.append(f" ({r.id})", style="dim")
    head.append(f": {r.message}")
    _hanging(console, head, 6)
    if verbose:
        for detail in r.details:
            # Prose wraps at the width like the rest; a detail indented by the check is code, kept as is.
            (_verbatim if detail.startswith(" ") else _wrapped)(console, detail, 6, "dim")
    if r.fix is not None and r.status in (Status.WARN, Status.FAIL):
        for n, line in enumerate(r.fix.text.splitlines()):
            # The first line is prose; the lines after it show code (a Vagrantfile line) as written.
            (_verbatim if n and line.startswith("  ") else _wrapped)(console, line, 6)
        for command in r.fix.commands:
            first, *rest = command.splitlines()
            _verbatim(console, f"{prompt}{first}", 8, "cyan")
            for line in rest:
                _verbatim(console, line, 8 + len(prompt), "cyan")


def summary_line(result: DoctorResult) -> str:
    """``12 passed, 1 warning, 2 failed, 8 skipped``."""
    counts = result.counts()
    parts = []
    for status in (Status.PASS, Status.WARN, Status.FAIL, Status.SKIP):
        n = counts[status]
        word = WORDS[status] + ("s" if status is Status.WARN and n != 1 else "")
        parts.append(f"{n} {word}")
    return ", ".join(parts)


def render_text(result: DoctorResult, *, verbose: bool = False, color: bool = False, width: int | None = None) -> str:
    """The report for people: a header, one line per result grouped by category, fixes, a summary."""
    buffer = io.StringIO()
    console = _console(color, width, buffer)
    prompt = "> " if result.host.os == "windows" else "$ "
    _wrapped(console, f"vagrantkit doctor: {result.host.name} ({result.host.machine})", 0, "bold")
    _verbatim(console, f"Vagrantfile: {result.vagrantfile or 'none found'}", 0)
    if result.django_path is not None:
        _verbatim(console, f"Django project: {result.django_path}", 0)
    current: Category | None = None
    for r in result.checks:
        if r.status is Status.SKIP and not verbose:
            continue  # counted in the summary; -v lists them with their reasons
        if r.category is not current:
            current = r.category
            console.print()
            console.print(Text(HEADINGS[current], style="bold underline"))
        _result(console, r, verbose=verbose, prompt=prompt)
    console.print()
    verdict = "problems found" if result.failed else "no problem that stops Vagrant"
    hint = " -v shows the skipped checks and details." if not verbose and result.counts()[Status.SKIP] else ""
    _wrapped(console, f"Summary: {summary_line(result)} ({verdict}).{hint}", 0, "bold")
    return buffer.getvalue()


def render_list(checks: Sequence[Check]) -> str:
    """``doctor --list``: every check id with its category and title, one per line."""
    width = max((len(c.id) for c in checks), default=0)
    cat_width = max((len(c.category.value) for c in checks), default=0)
    return "".join(f"{c.id:<{width}}  {c.category.value:<{cat_width}}  {c.title}\n" for c in checks)


def to_data(result: DoctorResult) -> dict[str, Any]:
    """``data`` of the JSON envelope: the host, the paths, the summary and every check result."""
    return {
        "host": result.host,
        "project": result.project,
        "vagrantfile": result.vagrantfile,
        "django_path": result.django_path,
        "summary": result.counts(),
        # A lint finding adds `data` (rule, line, column, written, corrected); other checks have none.
        "checks": [{k: v for k, v in to_jsonable(c).items() if k != "data" or v is not None} for c in result.checks],
    }


def render_json(result: DoctorResult) -> dict[str, Any]:
    """The versioned envelope: status is the worst verdict (pass, warn, fail)."""
    return envelope("doctor", result.status.value, result.exit_code, to_data(result))
