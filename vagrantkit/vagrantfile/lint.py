"""Run the rule table over a Vagrantfile: findings with positions, ids, and their corrected lines.

Conventions of a linter: ``select``/``ignore`` by rule id, and an inline
``# vagrantkit: ignore[rule-id, ...]`` (or a bare ``# vagrantkit: ignore``) on a line of the finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from vagrantkit.cycles import no_cycle_collection
from vagrantkit.errors import InvalidValue, VagrantkitError
from vagrantkit.vagrantfile import syntax
from vagrantkit.vagrantfile.model import Vagrantfile, build
from vagrantkit.vagrantfile.rules import RULES, Context, Finding, Host, Severity
from vagrantkit.vagrantfile.source import Edit, Source


class UsageProblem(VagrantkitError):
    """A path that is not a Vagrantfile to read: exit 2, like a bad option."""

    exit_code = 2


_IGNORE = re.compile(rb"#\s*vagrantkit:\s*ignore(?:\[([^\]]*)\])?")


@dataclass(frozen=True)
class Reported:
    """A finding as people and tools see it: where, what, why, and the lines as written and corrected."""

    id: str
    rule: str
    severity: Severity
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    why: str
    unfixable: str | None
    finding: Finding = field(repr=False, compare=False)
    source: Source = field(repr=False, compare=False)

    @cached_property
    def _lines(self) -> tuple[str, str | None]:
        return corrected(self.source, self.finding)

    @property
    def written(self) -> str:
        """The whole lines the finding touches, as written."""
        return self._lines[0]

    @property
    def corrected(self) -> str | None:
        """The same lines with the fix made; None without an automatic fix (``unfixable`` says why)."""
        return self._lines[1]


@dataclass(frozen=True)
class LintResult:
    model: Vagrantfile
    findings: tuple[Reported, ...]
    not_checked: tuple[tuple[int, str], ...]  # (line, what)
    ignored: int  # findings an inline comment silenced

    @property
    def failed(self) -> bool:
        return any(f.severity is Severity.FAIL for f in self.findings)


def rule_ids(option: str, given: Iterable[str]) -> frozenset[str]:
    """Rule ids from ``--select``/``--ignore`` (repeatable, comma-separated), each checked."""
    ids = frozenset(part.strip() for item in given for part in item.split(",") if part.strip())
    unknown = sorted(ids - set(RULES))
    if unknown:
        raise InvalidValue(option, unknown[0], "rule ids: " + ", ".join(sorted(RULES)))
    return ids


def _inline_ignores(model: Vagrantfile) -> dict[int, frozenset[str] | None]:
    """Line -> the rule ids its comment ignores (None: every rule)."""
    out: dict[int, frozenset[str] | None] = {}
    if b"vagrantkit:" not in model.source.code:
        return out
    for comment in syntax.captures("(comment) @c", model.root).get("c", []):
        match = _IGNORE.search(comment.text or b"")
        if match:
            ids = None if match[1] is None else frozenset(p.strip() for p in match[1].decode().split(",") if p.strip())
            out[comment.start_point[0] + 1] = ids
    return out


def run_rules(model: Vagrantfile, host: Host) -> tuple[list[Finding], list[tuple[int, str]]]:
    ctx = Context(model, host)
    found = [finding for rule in RULES.values() for finding in rule.check(ctx)]
    return found, ctx.not_checked


def lint(
    source: Source,
    *,
    host: Host,
    select: frozenset[str] = frozenset(),
    ignore: frozenset[str] = frozenset(),
    model: Vagrantfile | None = None,
) -> LintResult:
    """Every finding of the rules in line order, after ``select``, ``ignore`` and inline comments."""
    with no_cycle_collection():
        model = model or build(source)
        found, skipped = run_rules(model, host)
    inline = _inline_ignores(model)
    kept: list[Finding] = []
    silenced = 0
    for finding in found:
        if (select and finding.rule not in select) or finding.rule in ignore:
            continue
        lines = range(source.line_of(finding.start), source.line_of(max(finding.start, finding.end - 1)) + 1)
        if any(n in inline and (inline[n] is None or finding.rule in (inline[n] or ())) for n in lines):
            silenced += 1
            continue
        kept.append(finding)
    order = {rule_id: n for n, rule_id in enumerate(RULES)}
    kept.sort(key=lambda f: (f.start, order.get(f.rule, len(order))))
    reported = []
    ids: dict[str, int] = {}
    for finding in kept:
        line, column = source.line_of(finding.start), source.column_of(finding.start)
        base = f"L{line}:C{column}:{finding.rule}"
        ids[base] = ids.get(base, 0) + 1
        reported.append(
            Reported(
                base if ids[base] == 1 else f"{base}:{ids[base]}",
                finding.rule,
                finding.severity,
                line,
                column,
                source.line_of(max(finding.start, finding.end - 1)) if finding.end > finding.start else line,
                source.column_of(finding.end),
                finding.message,
                finding.why,
                finding.unfixable,
                finding,
                source,
            )
        )
    notes = tuple(sorted((source.line_of(at), what) for at, what in skipped))
    return LintResult(model, tuple(reported), tuple(dict.fromkeys(notes)), silenced)


def corrected(source: Source, finding: Finding) -> tuple[str, str | None]:
    """The lines the finding touches as written, and the same lines with its edits made."""
    spans = [(e.start, e.end) for e in finding.edits] + [(finding.start, finding.end)]
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    first, last = source.line_of(start), source.line_of(max(start, end - 1) if end > start else start)
    written = "\n".join(source.line_text(n) for n in range(first, last + 1))
    if not finding.edits:
        return written, None
    begin, finish = source.line_start(first), max(source.line_end(last), end)
    fixed = Source(source.code[begin:finish]).apply(Edit(e.start - begin, e.end - begin, e.text) for e in finding.edits)
    text = fixed.code.decode("utf-8", errors="replace").replace("\r\n", "\n")
    return written, text if text.strip() else "(delete this line)"


def host_of(name: str | None) -> Host:
    """``--host`` (windows, macos, linux, any); default: the OS this runs on."""
    if name:
        return Host(name)
    import sys

    if sys.platform == "win32":
        return Host.WINDOWS
    return Host.MACOS if sys.platform == "darwin" else Host.LINUX


def vagrantfiles(paths: Iterable[Path], vagrantfile: Path | None) -> list[Path]:
    """The files to read: those given, else ``--vagrantfile``, else the one Vagrant would use here.

    Raises:
        VagrantkitError: none found, or a path is not a readable file (exit 2: nothing was read).
    """
    chosen = list(paths) or ([vagrantfile] if vagrantfile else [])
    if not chosen:
        from vagrantkit.doctor.core import find_vagrantfile
        from vagrantkit.host import LocalHost

        found = find_vagrantfile(LocalHost(), Path.cwd())
        if found is None:
            raise UsageProblem(
                f"no Vagrantfile in {Path.cwd()} or any folder above it",
                hint="Give the file: vagrantkit lint PATH (or --vagrantfile PATH).",
            )
        chosen = [found]
    for path in chosen:
        if not path.is_file():
            raise UsageProblem(f"{path}: {'a folder' if path.is_dir() else 'no such file'}; a Vagrantfile is needed")
    return chosen


def read_source(path: Path) -> Source:
    try:
        return Source.from_bytes(path.read_bytes())
    except OSError as exc:
        raise VagrantkitError(f"cannot read {path}: {exc.strerror or exc}") from exc
