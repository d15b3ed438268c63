"""How lint and fix results are shown: a linter's text lines, JSON data, and SARIF 2.1.0 for code scanning."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vagrantkit import __version__
from vagrantkit.vagrantfile.fix import FixResult
from vagrantkit.vagrantfile.lint import LintResult, Reported
from vagrantkit.vagrantfile.rules import RULES, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.FAIL: "error", Severity.WARN: "warning"}


@dataclass(frozen=True)
class Linted:
    path: Path
    result: LintResult


def finding_data(item: Reported) -> dict[str, Any]:
    return {
        "id": item.id,
        "rule": item.rule,
        "severity": item.severity.value,
        "line": item.line,
        "column": item.column,
        "end_line": item.end_line,
        "end_column": item.end_column,
        "message": item.message,
        "why": item.why,
        "written": item.written,
        "corrected": item.corrected,
        "fixable": item.corrected is not None,
        "unfixable": item.unfixable,
    }


def lint_data(files: Sequence[Linted]) -> dict[str, Any]:
    return {
        "files": [
            {
                "path": str(f.path),
                "findings": [finding_data(i) for i in f.result.findings],
                "not_checked": [{"line": line, "what": what} for line, what in f.result.not_checked],
                "ignored_inline": f.result.ignored,
            }
            for f in files
        ]
    }


def _indented(text: str, prefix: str) -> list[str]:
    return [prefix + line for line in text.splitlines()]


def render_lint(files: Sequence[Linted], *, verbose: bool) -> str:
    """``path:line:column: rule severity message`` per finding; ``-v`` adds why, the lines as written and
    corrected, and what was not checked."""
    out: list[str] = []
    total = fixable = 0
    for linted in files:
        for item in linted.result.findings:
            total += 1
            fixable += bool(item.finding.edits)
            mark = " [fixable]" if item.finding.edits else ""
            out.append(
                f"{linted.path}:{item.line}:{item.column}: {item.rule} {item.severity.value}: {item.message}{mark}"
            )
            if verbose:
                out += _indented(item.why, "    ")
                out += _indented(item.written, "    - ")
                if item.corrected is None:
                    out.append(f"    no automatic fix: {item.unfixable}")
                else:
                    out += _indented(item.corrected, "    + ")
        if verbose:
            out += [f"{linted.path}:{line}: {what}" for line, what in linted.result.not_checked]
    if total:
        out.append(f"{total} finding{'s' if total != 1 else ''} ({fixable} fixable with `vagrantkit fix`).")
    else:
        out.append(f"No findings in {len(files)} file{'s' if len(files) != 1 else ''}.")
    return "\n".join(out) + "\n"


def render_fix(results: Sequence[FixResult], *, dry_run: bool) -> tuple[str, str]:
    """(the unified diff for stdout, the status lines for stderr)."""
    diff = "".join(r.diff(str(r.path)) for r in results)
    status: list[str] = []
    for r in results:
        if not r.changed:
            status.append(f"{r.path}: nothing to fix")
        elif dry_run:
            status.append(f"{r.path}: would fix {len(r.applied)} finding(s) (dry run: nothing written)")
        else:
            status.append(f"{r.path}: fixed {len(r.applied)} finding(s) (backup: {r.backup})")
        for item in r.remaining.findings:
            why = item.unfixable or "fixing it needs a choice only you can make"
            status.append(f"  not fixed: line {item.line}: {item.rule}: {item.message} ({why})")
    return diff, "\n".join(status) + "\n"


def fix_data(results: Sequence[FixResult]) -> dict[str, Any]:
    return {
        "files": [
            {
                "path": str(r.path),
                "changed": r.changed,
                "written": r.written,
                "backup": str(r.backup) if r.backup else None,
                "diff": r.diff(str(r.path)),
                "fixed": [finding_data(i) for i in r.applied],
                "remaining": [finding_data(i) for i in r.remaining.findings],
            }
            for r in results
        ]
    }


def _uri(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def sarif(files: Sequence[Linted], base: Path) -> dict[str, Any]:
    """A SARIF 2.1.0 log: one run, the rule table as the driver's rules, a result per finding with its
    region and its fix (the replacements of exact ranges), paths relative to ``base`` (the repository)."""
    rules = list(RULES.values())
    index = {r.id: n for n, r in enumerate(rules)}
    results = []
    for linted in files:
        uri = _uri(linted.path, base)
        source = linted.result.model.source
        for item in linted.result.findings:
            result: dict[str, Any] = {
                "ruleId": item.rule,
                "ruleIndex": index[item.rule],
                "level": _LEVEL[item.severity],
                "message": {"text": f"{item.message}. {item.why}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                            "region": {
                                "startLine": item.line,
                                "startColumn": item.column,
                                "endLine": item.end_line,
                                "endColumn": item.end_column,
                            },
                        }
                    }
                ],
                "partialFingerprints": {"vagrantkit/v1": f"{item.rule}:{item.written.strip()}"},
            }
            if item.finding.edits:
                replacements = []
                for edit in sorted(item.finding.edits, key=lambda e: e.start):
                    region = {
                        "startLine": source.line_of(edit.start),
                        "startColumn": source.column_of(edit.start),
                        "endLine": source.line_of(edit.end),
                        "endColumn": source.column_of(edit.end),
                    }
                    replacements.append(
                        {"deletedRegion": region, "insertedContent": {"text": edit.text.decode("utf-8", "replace")}}
                    )
                result["fixes"] = [
                    {
                        "description": {"text": "vagrantkit fix"},
                        "artifactChanges": [
                            {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}, "replacements": replacements}
                        ],
                    }
                ]
            results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "vagrantkit",
                        "version": __version__,
                        "rules": [
                            {
                                "id": r.id,
                                "name": r.id.replace("-", " ").title().replace(" ", ""),
                                "shortDescription": {"text": r.title},
                                "fullDescription": {"text": (r.check.__doc__ or r.title).strip().split("\n\n")[0]},
                                "defaultConfiguration": {"level": _LEVEL[r.severity]},
                            }
                            for r in rules
                        ],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "originalUriBaseIds": {"%SRCROOT%": {"uri": base.resolve().as_uri() + "/"}},
                "results": results,
            }
        ],
    }
