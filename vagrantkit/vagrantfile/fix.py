"""``vagrantkit fix``: make every safe fix, as edits of exact source ranges, and write the file safely.

Fixes are made in passes: each pass lints the current text and makes every fix whose edits do
not overlap one already taken; the next pass lints the result again, so several fixes in one
statement combine (one pass removes ``udp`` from a list, the same or the next adds ``nolock``).
The result must parse (no place the parser gives up that the original did not have), and must
not bring back a finding a pass fixed; the file is written only
if it is still what was read, atomically, after a timestamped backup.
"""

from __future__ import annotations

import difflib
import shutil
from dataclasses import dataclass
from pathlib import Path

from vagrantkit.errors import VagrantkitError
from vagrantkit.files import backup_path, replacing, reporting_write_errors
from vagrantkit.vagrantfile.lint import LintResult, Reported, lint
from vagrantkit.vagrantfile.model import build
from vagrantkit.vagrantfile.rules import Host
from vagrantkit.vagrantfile.source import Edit, Source

MAX_PASSES = 8


class FixRefused(VagrantkitError):
    """fix would make the file worse, or the file changed under it: nothing is written."""


@dataclass(frozen=True)
class FixResult:
    path: Path | None
    original: Source
    fixed: Source
    applied: tuple[Reported, ...]  # the findings fixed, as found (in the pass that fixed them)
    remaining: LintResult  # what lint reports on the result
    written: bool
    backup: Path | None

    @property
    def changed(self) -> bool:
        return self.fixed.code != self.original.code

    def diff(self, name: str = "Vagrantfile") -> str:
        before = self.original.code.decode("utf-8", errors="replace").splitlines(keepends=True)
        after = self.fixed.code.decode("utf-8", errors="replace").splitlines(keepends=True)
        lines = difflib.unified_diff(before, after, name, name)
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def fix_source(
    source: Source, *, host: Host, select: frozenset[str] = frozenset(), ignore: frozenset[str] = frozenset()
) -> tuple[Source, list[Reported], LintResult]:
    """The source with every safe fix made, the findings fixed, and the lint of the result.

    Raises:
        FixRefused: the result would not parse, or a fix did not hold (a finding came back).
    """
    current = source
    applied: list[Reported] = []
    done: set[tuple[str, str, str]] = set()  # findings fixed in earlier passes
    for _ in range(MAX_PASSES):
        result = lint(current, host=host, select=select, ignore=ignore)
        taken: list[Edit] = []
        marks = set()
        for finding in result.findings:
            planned = finding.finding.edits
            if not planned or any(e.overlaps(t) for e in planned for t in taken):
                continue
            mark = (finding.rule, finding.message, finding.written)
            if mark in done:
                raise FixRefused(
                    f"the fix for {finding.rule} on line {finding.line} did not hold; nothing was written",
                    hint="Please report this with the Vagrantfile; `vagrantkit lint` shows the finding.",
                )
            marks.add(mark)
            taken.extend(planned)
            applied.append(finding)
        if not taken:
            break
        done |= marks
        current = current.apply(taken)
    else:
        raise FixRefused(
            f"the fixes did not settle after {MAX_PASSES} passes; nothing was written",
            hint="Please report this with the Vagrantfile; `vagrantkit lint` shows the findings.",
        )
    final = lint(current, host=host, select=select, ignore=ignore)
    errors = final.model.syntax_errors
    if current.code != source.code and len(errors) > len(build(source).syntax_errors):
        line = current.line_of(errors[0].start_byte)
        raise FixRefused(
            f"the fixed file would not parse (line {line}: {current.line_text(line).strip()[:80]}); nothing was written",
            hint="Fix that line by hand (a quote or a bracket), then run `vagrantkit fix` again.",
        )
    return current, applied, final


def fix_file(
    path: Path,
    *,
    host: Host,
    dry_run: bool = False,
    select: frozenset[str] = frozenset(),
    ignore: frozenset[str] = frozenset(),
) -> FixResult:
    """Fix a Vagrantfile in place (a backup kept), or only say what would change (``dry_run``).

    Raises:
        FixRefused: see :func:`fix_source`; or the file changed while fix worked on it.
        VagrantkitError: the file cannot be read or written.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VagrantkitError(f"cannot read {path}: {exc.strerror or exc}") from exc
    original = Source.from_bytes(data)
    fixed, applied, final = fix_source(original, host=host, select=select, ignore=ignore)
    if dry_run or fixed.code == original.code:
        return FixResult(path, original, fixed, tuple(applied), final, False, None)
    with reporting_write_errors(path):
        if path.read_bytes() != data:
            raise FixRefused(f"{path} changed while fix worked on it; nothing was written", hint="Run it again.")
        backup = backup_path(path)
        shutil.copy2(path, backup)
        with replacing(path) as tmp:
            tmp.write_bytes(fixed.to_bytes())
    return FixResult(path, original, fixed, tuple(applied), final, True, backup)
