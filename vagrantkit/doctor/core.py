"""The core of `vagrantkit doctor`: pick the checks, run them in parallel, collect a frozen result."""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from vagrantkit.doctor.model import (
    SEVERITY,
    Category,
    Check,
    CheckResult,
    DoctorContext,
    Finding,
    Fix,
    Status,
    findings_of,
    iter_results,
    load_checks,
)
from vagrantkit.errors import InvalidEnvironment, InvalidValue, cut
from vagrantkit.host import Host, LocalHost
from vagrantkit.vagrant_adapter import VagrantAdapter

# Checks wait on `vagrant` (hundreds of ms each) more than on the CPU: run them side by side.
MAX_WORKERS = 8


@dataclass(frozen=True)
class HostSummary:
    """The host as the report's header and ``data.host`` show it."""

    os: str
    name: str
    release: str
    version: str
    machine: str
    wsl: int | None


@dataclass(frozen=True)
class DoctorResult:
    """Everything one doctor run found."""

    host: HostSummary
    project: Path
    vagrantfile: Path | None
    django_path: Path | None
    checks: tuple[CheckResult, ...]

    @property
    def failed(self) -> bool:
        return any(c.status is Status.FAIL for c in self.checks)

    @property
    def exit_code(self) -> int:
        """0 when nothing FAILs, 1 when something does."""
        return 1 if self.failed else 0

    @property
    def status(self) -> Status:
        """The worst status among the checks that ran (PASS when all were skipped)."""
        ran = [c.status for c in self.checks if c.status is not Status.SKIP] or [Status.PASS]
        return max(ran, key=SEVERITY.__getitem__)

    def counts(self) -> dict[Status, int]:
        """How many results have each status (every status present, zero or not)."""
        return {s: sum(1 for c in self.checks if c.status is s) for s in Status}


def find_vagrantfile(host: Host, start: Path) -> Path | None:
    """The Vagrantfile Vagrant would use: searched from ``VAGRANT_CWD`` (or ``start``) upward.

    Vagrant looks for ``VAGRANT_VAGRANTFILE`` when set, else ``Vagrantfile`` then ``vagrantfile``,
    in the folder and each parent up to the root (Vagrant::Environment#find_vagrantfile).

    Returns:
        The file, or None when neither variable is set and no folder up from ``start`` has one.

    Raises:
        InvalidEnvironment: ``VAGRANT_CWD`` names no folder (Vagrant refuses to run then), or one of
            the two variables is set and the search finds no file (exit code 2). Either points
            doctor (and Vagrant) away from the current folder, so the message names it, not ``start``.
    """
    cwd = host.env("VAGRANT_CWD")
    wanted = host.env("VAGRANT_VAGRANTFILE")
    folder = (start / cwd if cwd else start).absolute()
    if cwd and not folder.is_dir():
        raise InvalidEnvironment(
            "VAGRANT_CWD",
            cwd,
            "not a folder" if folder.exists() else "no such folder",
            hint="Vagrant refuses to run while it names no folder: unset it, or set it to the folder that "
            "holds the Vagrantfile.",
        )
    names = [wanted] if wanted else ["Vagrantfile", "vagrantfile"]
    for candidate_dir in (folder, *folder.parents):
        for name in names:
            candidate = candidate_dir / name
            if candidate.is_file():
                return candidate
    where = f"in {folder}" + (f" (VAGRANT_CWD={cut(cwd)})" if cwd and wanted else "") + " or any folder above it"
    if wanted:
        absolute = Path(wanted).is_absolute()
        raise InvalidEnvironment(
            "VAGRANT_VAGRANTFILE",
            wanted,
            "no such file" if absolute else f"no file of that name {where}",
            hint="Unset it to look for a Vagrantfile, or name a file that exists (or check any file with "
            "--vagrantfile).",
        )
    if cwd:
        raise InvalidEnvironment(
            "VAGRANT_CWD",
            cwd,
            f"no Vagrantfile {where}",
            hint=f"Vagrant looks there, not in the current folder: unset it, or render one there: "
            f"vagrantkit init {cut(str(folder))}",
        )
    return None


def select_checks(checks: Sequence[Check], wanted: Sequence[str]) -> list[Check]:
    """The checks named by id or by category; all of them when ``wanted`` is empty.

    Raises:
        InvalidValue: A name is neither a check id nor a category (exit code 2).
    """
    if not wanted:
        return list(checks)
    ids = {c.id for c in checks}
    categories = {c.value for c in Category}
    for name in wanted:
        if name not in ids and name not in categories:
            raise InvalidValue(
                "ID",
                name,
                "a check id from `vagrantkit doctor --list`, or a category: " + ", ".join(sorted(categories)),
            )
    return [c for c in checks if c.id in wanted or c.category.value in wanted]


def _crashed(check: Check, exc: BaseException, verbose: bool) -> Finding:
    details: tuple[str, ...] = ()
    if verbose:
        details = tuple("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip().splitlines())
    return Finding.fail(
        f"the check itself broke: {type(exc).__name__}: {exc}",
        fix=Fix(
            "This is a bug in vagrantkit, not a verdict about your setup. Please report it with the "
            "traceback this command prints.",
            (f"vagrantkit doctor -v {check.id}",),
        ),
        details=details,
    )


def _run_one(check: Check, ctx: DoctorContext) -> list[CheckResult]:
    if (skip := check.skipped_on(ctx.host)) is not None:
        return list(iter_results(check, [skip]))
    try:
        findings = findings_of(check.function(ctx))
    except Exception as exc:  # a crashing check is reported, never fatal (flutter's ValidationResult.crash)
        findings = [_crashed(check, exc, ctx.verbose)]
    return list(iter_results(check, findings))


def run_doctor(
    *,
    host: Host | None = None,
    cwd: Path | None = None,
    vagrantfile: Path | None = None,
    django: Path | None = None,
    only: Sequence[str] = (),
    verbose: bool = False,
    adapter: VagrantAdapter | None = None,
) -> DoctorResult:
    """Run the doctor's checks and return what they found.

    Args:
        host: The host-facts object (default: this machine).
        cwd: Where to start looking for the Vagrantfile (default: the current folder).
        vagrantfile: Lint this file instead of looking for one.
        django: The Django project to check (default: the current folder when it holds manage.py, else
            the project folder when it does).
        only: Check ids or categories to run (default: all).
        verbose: Keep tracebacks of crashed checks in their details.
        adapter: The Vagrant adapter (default: one over ``host``'s subprocess seam).

    Raises:
        InvalidValue: An unknown check id, or a ``--vagrantfile``/``--django`` path that is not there.
        InvalidEnvironment: Without ``vagrantfile``: ``VAGRANT_CWD`` or ``VAGRANT_VAGRANTFILE`` points
            at nothing (see :func:`find_vagrantfile`).
    """
    host = host or LocalHost()
    start = cwd or Path.cwd()
    if vagrantfile is not None:
        if not vagrantfile.is_file():
            raise InvalidValue("--vagrantfile", str(vagrantfile), "the path of an existing Vagrantfile")
        vagrantfile = vagrantfile.absolute()
    else:
        vagrantfile = find_vagrantfile(host, start)
    project = vagrantfile.parent if vagrantfile is not None else start.absolute()
    if django is not None:
        if not django.is_dir():
            raise InvalidValue("--django", str(django), "the folder of a Django project (the one holding manage.py)")
        django = django.absolute()
    else:
        # A Django project often sits below the Vagrantfile's folder (./site/manage.py): the
        # folder doctor runs in comes first, then the project folder.
        django = next((f for f in (start.absolute(), project) if (f / "manage.py").is_file()), None)
    checks = select_checks(load_checks(), only)
    ctx = DoctorContext(host, project, vagrantfile, django, verbose=verbose, adapter=adapter)
    with ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="doctor") as pool:
        if not only:
            # A full run needs every Vagrant fact: start the slow verbs now, side by side, rather than
            # when the first check that needs each one gets a worker.
            pool.submit(ctx.plugins)
            pool.submit(ctx.validate)
            pool.submit(ctx.machines)
        outcomes = list(pool.map(lambda c: _run_one(c, ctx), checks))
    return DoctorResult(
        HostSummary(host.os.value, host.describe(), host.release, host.version, host.machine, host.wsl),
        project,
        vagrantfile,
        django,
        tuple(r for results in outcomes for r in results),
    )
