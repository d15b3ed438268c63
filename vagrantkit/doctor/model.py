"""The doctor's check model: statuses, results, the registry of checks, and the context they read.

How to add a check
------------------
Write a function that takes a :class:`DoctorContext` and returns one :class:`Finding` (or
several), decorate it with :func:`check`, and put it in a module listed in
:data:`CHECK_MODULES` (one module per concern under ``vagrantkit/doctor/checks/``: a check for one host
OS in that OS's module, ``windows.py``, ``unix.py``, ``macos.py``; one about a provider or a sync
type in the module its entry in ``vagrantkit/registry.py`` names)::

    from vagrantkit.doctor.model import Category, DoctorContext, Finding, Fix, check

    @check("nfs.exports-file", "NFS exports file", Category.NFS)
    def exports_file(ctx: DoctorContext) -> Finding:
        if ctx.host.is_file("/etc/exports"):
            return Finding.passed("/etc/exports exists")
        return Finding.fail(
            "/etc/exports is missing",
            fix=Fix("Create it empty; Vagrant adds its lines between markers.", ("sudo touch /etc/exports",)),
        )

Rules:

- Ids are ``<category>.<name>`` in lowercase with dashes; titles are short nouns.
- Never print, never call ``subprocess``: read the host through ``ctx.host`` (the host-facts
  seam, faked in tests) and Vagrant through the cached facts ``ctx.vagrant_version()``,
  ``ctx.plugins()``, ``ctx.validate()``; gather a new host fact in ``vagrantkit/doctor/facts/``
  (cached with ``ctx.cached``), apart from the checks that judge it.
- Every WARN and FAIL carries a :class:`Fix`: prose plus the exact command(s) to run.
- A check for some host OSes names them at registration, with the message that skips it
  elsewhere: ``@check(..., only=WINDOWS_ONLY)`` (or ``UNIX_ONLY``, or your own :class:`OnlyOn`).
  Otherwise return ``Finding.skip(reason)`` when the check does not apply to this host or project.
- A check that raises is reported as a FAIL saying the check itself broke (the traceback is
  shown with ``-v``); do not catch everything yourself.

Several findings from one check: return a list (or yield them). Give each a ``key``; the
result ids become ``<check id>:<key>`` (e.g. ``vagrantfile.lint:L12``), and a finding may
override the title. An empty list means the check found nothing wrong and becomes one PASS.
That is how the Vagrantfile linter reports one finding per mistake, each naming its line.

The ``django`` category's checks live in ``vagrantkit/doctor/checks/django.py``; the module
is imported when it exists, so its checks show up without editing anything else. They read
``ctx.django_path`` (None when there is no Django project) and ``ctx.vagrantfile_text()``.

Test a check through the fake host presets, which present a whole Windows, macOS, Linux or WSL
host: ``run_doctor(host=linux_host(), cwd=tmp_path, only=["nfs.exports-file"])`` with
``linux_host`` from ``tests/doctor/fakes.py`` (edit ``host.files`` or
``host.fake_runner.answers`` to set the scene).
"""

from __future__ import annotations

import enum
import importlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from vagrantkit.doctor.guest import GuestFacts, ProbeFailed, probe
from vagrantkit.errors import CommandError
from vagrantkit.host import OS, Host
from vagrantkit.process import Completed
from vagrantkit.registry import check_modules
from vagrantkit.vagrant_adapter import MachineStatus, Plugin, VagrantAdapter

T = TypeVar("T")


class Status(str, enum.Enum):
    """What a check concluded; ordered from best to worst by :data:`SEVERITY`."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


SEVERITY = {Status.SKIP: 0, Status.PASS: 1, Status.WARN: 2, Status.FAIL: 3}


class Category(str, enum.Enum):
    """The groups checks are listed and run in, in this order."""

    HOST = "host"
    VAGRANT = "vagrant"
    PROVIDER = "provider"
    NFS = "nfs"
    SMB = "smb"
    VAGRANTFILE = "vagrantfile"
    GUEST = "guest"
    SECURITY = "security"
    DJANGO = "django"


@dataclass(frozen=True)
class Fix:
    """How to repair a problem: prose, then the exact command(s) to run (may be empty)."""

    text: str
    commands: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """What a check function returns: a verdict about one thing.

    Attributes:
        status: The verdict.
        message: One line saying what was found.
        details: Extra lines shown with ``-v`` (paths looked at, raw output...).
        fix: For WARN and FAIL: what to do.
        key: Tells apart several findings of one check; becomes ``<check id>:<key>``.
        title: Overrides the check's title for this finding.
        data: Structured facts for scripts (a lint finding's rule, line, column, written and
            corrected text), given as is in the JSON.
    """

    status: Status
    message: str
    details: tuple[str, ...] = ()
    fix: Fix | None = None
    key: str | None = None
    title: str | None = None
    data: Mapping[str, Any] | None = None

    @classmethod
    def passed(cls, message: str, *, details: Iterable[str] = (), key: str | None = None) -> Finding:
        return cls(Status.PASS, message, tuple(details), None, key)

    @classmethod
    def warn(
        cls,
        message: str,
        *,
        fix: Fix,
        details: Iterable[str] = (),
        key: str | None = None,
        title: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Finding:
        return cls(Status.WARN, message, tuple(details), fix, key, title, data)

    @classmethod
    def fail(
        cls,
        message: str,
        *,
        fix: Fix,
        details: Iterable[str] = (),
        key: str | None = None,
        title: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Finding:
        return cls(Status.FAIL, message, tuple(details), fix, key, title, data)

    @classmethod
    def skip(cls, message: str, *, details: Iterable[str] = ()) -> Finding:
        return cls(Status.SKIP, message, tuple(details))


@dataclass(frozen=True)
class CheckResult:
    """One line of the doctor's report (and one entry of ``data.checks`` in the JSON)."""

    id: str
    title: str
    category: Category
    status: Status
    message: str
    details: tuple[str, ...] = ()
    fix: Fix | None = None
    data: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class OnlyOn:
    """The host OSes a check applies to, and the message that skips it on the others."""

    oses: frozenset[OS]
    skip: str


WINDOWS_ONLY = OnlyOn(frozenset({OS.WINDOWS}), "Windows hosts only")
UNIX_ONLY = OnlyOn(frozenset({OS.LINUX, OS.MACOS}), "macOS and Linux hosts only")


CheckOutcome = Finding | Iterable[Finding]
CheckFunction = Callable[["DoctorContext"], CheckOutcome]


@dataclass(frozen=True)
class Check:
    """A registered check."""

    id: str
    title: str
    category: Category
    function: CheckFunction = field(repr=False, compare=False)
    only: OnlyOn | None = None  # None: every host

    def skipped_on(self, host: Host) -> Finding | None:
        """The SKIP this check gets on ``host`` without being called, or None when it applies."""
        if self.only is None or host.os in self.only.oses:
            return None
        return Finding.skip(self.only.skip)


REGISTRY: dict[str, Check] = {}

# The modules whose import registers checks, in report order (within a category, checks are
# listed in the order their modules are imported): the provider-neutral ones first, then those of
# the providers and sync types (vagrantkit/registry.py), then the per-OS modules (a check for one
# host OS lives with that OS's checks and skips itself elsewhere), then the rest. Missing optional
# modules (django, owned by the Django work) are skipped by load_checks().
HOST_OS_MODULES = (
    "vagrantkit.doctor.checks.windows",
    "vagrantkit.doctor.checks.unix",
    "vagrantkit.doctor.checks.macos",
)
CHECK_MODULES = tuple(
    dict.fromkeys(
        (
            "vagrantkit.doctor.checks.host",
            "vagrantkit.doctor.checks.vagrant",
            *check_modules(),
            *HOST_OS_MODULES,
            "vagrantkit.doctor.checks.vagrantfile",
            "vagrantkit.doctor.checks.guest",
            "vagrantkit.doctor.checks.security",
            "vagrantkit.doctor.checks.django",
        )
    )
)
OPTIONAL_MODULES = frozenset({"vagrantkit.doctor.checks.django"})


def check(
    id: str, title: str, category: Category, *, only: OnlyOn | None = None
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function under ``id`` (unique), with a title and a category.

    With ``only``, the check runs on those host OSes alone; the runner reports the others as
    ``Finding.skip(only.skip)`` without calling it.
    """

    def register(function: CheckFunction) -> CheckFunction:
        existing = REGISTRY.get(id)
        if existing is not None and existing.function is not function:
            raise ValueError(f"two doctor checks use the id {id!r}")
        REGISTRY[id] = Check(id, title, category, function, only)
        return function

    return register


def load_checks() -> list[Check]:
    """Import every check module and return the checks, grouped by category in registry order."""
    for name in CHECK_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if name in OPTIONAL_MODULES and exc.name == name:
                continue
            raise
    order = list(Category)
    return sorted(REGISTRY.values(), key=lambda c: order.index(c.category))


def findings_of(outcome: CheckOutcome) -> list[Finding]:
    """A check's return value as a list of findings (a single one, or an iterable of them)."""
    if isinstance(outcome, Finding):
        return [outcome]
    return list(outcome)


# --- the context ---------------------------------------------------------------------------


class _Lazy:
    """A value computed once, on first use, even when several threads ask at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}

    def get(self, key: str, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                return self._values[key]  # type: ignore[no-any-return]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one computation per key; other keys go on in parallel
            with self._lock:
                if key in self._values:
                    return self._values[key]  # type: ignore[no-any-return]
            value = compute()
            with self._lock:
                self._values[key] = value
            return value


class DoctorContext:
    """What every check reads: the host, the project, and shared facts computed once.

    Attributes:
        host: The host-facts object (fake in tests).
        project: The project folder (where the Vagrantfile is, or the current folder).
        vagrantfile: The Vagrantfile to lint, or None when there is none.
        django_path: The Django project to check (``--django``, or the current folder or else the
            project folder when it holds ``manage.py``), or None.
        verbose: ``-v`` was given.
    """

    def __init__(
        self,
        host: Host,
        project: Path,
        vagrantfile: Path | None,
        django_path: Path | None = None,
        *,
        verbose: bool = False,
        adapter: VagrantAdapter | None = None,
    ) -> None:
        self.host = host
        self.project = project
        self.vagrantfile = vagrantfile
        self.django_path = django_path
        self.verbose = verbose
        self._cache = _Lazy()
        if adapter is None:
            env = dict(host.environ)
            root = vagrantfile.parent if vagrantfile is not None else project
            if vagrantfile is not None:
                # Make `vagrant validate` read exactly this file, wherever VAGRANT_CWD points.
                env["VAGRANT_CWD"] = str(root)
                env["VAGRANT_VAGRANTFILE"] = vagrantfile.name
            adapter = VagrantAdapter(root, env=env, run=host.runner)
        self.adapter = adapter

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per doctor run, shared by every check that asks for ``key``."""
        return self._cache.get(key, compute)

    def vagrant_version(self) -> str | None:
        """Vagrant's version, or None when `vagrant` is not installed (one `vagrant --version`)."""
        return self.cached("vagrant.version", self.adapter.version)

    def plugins(self) -> tuple[Plugin, ...] | None:
        """Installed Vagrant plugins, or None when Vagrant is missing or could not list them."""

        def compute() -> tuple[Plugin, ...] | None:
            if self.vagrant_version() is None:
                return None
            try:
                return tuple(self.adapter.plugins())
            except CommandError:  # a broken plugin setup makes `vagrant plugin list` fail: report, not crash
                return None

        return self.cached("vagrant.plugins", compute)

    def has_plugin(self, name: str) -> bool | None:
        """Whether a Vagrant plugin is installed (None when unknown)."""
        plugins = self.plugins()
        return None if plugins is None else any(p.name == name for p in plugins)

    def validate(self) -> Completed | None:
        """``vagrant validate --ignore-provider`` on the Vagrantfile, or None without Vagrant or Vagrantfile."""

        def compute() -> Completed | None:
            if self.vagrantfile is None or self.vagrant_version() is None:
                return None
            try:
                return self.adapter.validate()
            except CommandError as exc:
                return Completed(("vagrant", "validate", "--ignore-provider"), -1, "", exc.message)

        return self.cached("vagrant.validate", compute)

    def machines(self) -> tuple[tuple[MachineStatus, ...], str | None]:
        """The project's machines (``vagrant status``, once), and why there are none to look at, if so."""

        def compute() -> tuple[tuple[MachineStatus, ...], str | None]:
            if self.vagrantfile is None:
                return (), "no Vagrantfile"
            if not self.created_machines():
                # Vagrant itself knows a machine as created by this id file: no need to ask it (1-2 s).
                return (), "no machine of this project is created (`vagrant up` creates one)"
            if self.vagrant_version() is None:
                return (), "Vagrant is not installed"
            try:
                return tuple(self.adapter.status()), None
            except CommandError as exc:
                return (), exc.message

        return self.cached("vagrant.status", compute)

    def created_machines(self) -> list[Path]:
        """The id files Vagrant keeps for the project's created machines (``.vagrant/machines/*/*/id``).

        The project's own state, read where the Vagrantfile is (``VAGRANT_DOTFILE_PATH`` honoured).
        """
        if self.vagrantfile is None:
            return []
        dotfile = Path(self.host.env("VAGRANT_DOTFILE_PATH") or ".vagrant")
        return sorted((self.vagrantfile.parent / dotfile).glob("machines/*/*/id"))

    def guest(self, machine: MachineStatus) -> GuestFacts | ProbeFailed:
        """What the running ``machine`` shows from inside (one ``vagrant ssh``, once), or why it showed nothing."""

        def compute() -> GuestFacts | ProbeFailed:
            try:
                return probe(self.adapter, machine)
            except ProbeFailed as exc:
                return exc
            except CommandError as exc:
                return ProbeFailed(exc.message)

        return self.cached(f"guest.{machine.name}", compute)

    def vagrantfile_text(self) -> str | None:
        """The Vagrantfile's text (read once), or None."""

        def compute() -> str | None:
            if self.vagrantfile is None:
                return None
            # The project's own file, read where doctor was pointed at it (not a host fact).
            try:
                return self.vagrantfile.read_text(encoding="utf-8", errors="replace")
            except OSError:
                return None

        return self.cached("vagrantfile.text", compute)


def iter_results(check: Check, findings: list[Finding]) -> Iterator[CheckResult]:
    """Turn a check's findings into report lines (ids made unique with the findings' keys)."""
    if not findings:
        yield CheckResult(check.id, check.title, check.category, Status.PASS, "nothing wrong found")
        return
    seen: dict[str, int] = {}
    for n, f in enumerate(findings, 1):
        key = f.key if f.key is not None else (str(n) if len(findings) > 1 else None)
        if key is not None:
            seen[key] = seen.get(key, 0) + 1
            key = key if seen[key] == 1 else f"{key}:{seen[key]}"  # two findings on one line: two ids
        yield CheckResult(
            f"{check.id}:{key}" if key else check.id,
            f.title or check.title,
            check.category,
            f.status,
            f.message,
            f.details,
            f.fix,
            f.data,
        )
