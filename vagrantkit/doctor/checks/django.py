"""The ``django`` checks: threads that leak database connections, uWSGI without threads, shared folders.

They run on ``ctx.django_path`` (``doctor --django PATH``, or the project folder when it holds
``manage.py``). The analysis lives in :mod:`vagrantkit.django` (it parses, never imports or runs
the project); this module turns its results into findings with the exact fix.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path

from vagrantkit.django.sharedfolder import SharedProject, Side, guest_share, host_share
from vagrantkit.django.threads import FIX, Closing, ThreadEntry, ThreadKind, ThreadScan, scan_threads
from vagrantkit.django.uwsgi import UwsgiLaunch, scan_uwsgi
from vagrantkit.doctor.checks.common import PYCACHE_LINE, vagrantfile_facts
from vagrantkit.doctor.model import Category, CheckFunction, DoctorContext, Finding, Fix, check
from vagrantkit.host import OS

NO_PROJECT = "no Django project here (no manage.py); run `vagrantkit doctor --django PATH` to check one"
# Shares on which polling is already as cheap as it gets: nothing to switch to.
_FAST_SHARES = frozenset({"nfs", "nfs4", "virtiofs"})


ProjectCheck = Callable[[DoctorContext, Path], Iterator[Finding]]


def _django_check(id: str, title: str) -> Callable[[ProjectCheck], CheckFunction]:
    """Register a check of the ``django`` category that runs only when there is a Django project."""

    def register(body: ProjectCheck) -> CheckFunction:
        @functools.wraps(body)
        def run(ctx: DoctorContext) -> list[Finding]:
            root = ctx.django_path
            if root is None or not root.is_dir():
                return [Finding.skip(NO_PROJECT)]
            return list(body(ctx, root))

        return check(id, title, Category.DJANGO)(run)

    return register


def _threads(ctx: DoctorContext, root: Path) -> ThreadScan:
    # Both the leak check and the uWSGI check need it: parse the project once per doctor run.
    return ctx.cached(f"django.threads:{root}", lambda: scan_threads(root))


def _places(items: tuple[str, ...], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# --- threads ----------------------------------------------------------------------------


def _describe(entry: ThreadEntry) -> str:
    if entry.kind is ThreadKind.SUBCLASS:
        return f"thread {entry.name}()"
    if entry.kind is ThreadKind.POOL:
        return f"thread-pool task {entry.name}"
    return f"Thread(target={entry.name})"


def _orm_clause(entry: ThreadEntry) -> str:
    orm = entry.orm
    assert orm is not None
    through = f" through {' → '.join(orm.via)}()" if orm.via else ""
    return f"uses the ORM ({orm.what} at {orm.path}:{orm.line}{through})"


def _leak_fix(entry: ThreadEntry) -> Fix:
    function = entry.function or entry.name
    pattern = f"`try: ... finally: {FIX}`"
    why = "Django closes connections only for the threads that serve requests."
    if entry.closing is Closing.HAPPY_PATH:
        text = f"Move the close into a finally block, so that it also runs when {function} raises or returns early: {pattern}."
    elif entry.runs_lambda:
        text = f"Have the thread run a function instead of the lambda, with its body in {pattern}. {why}"
    else:
        text = f"Close the thread's connections when it finishes: wrap the body of {function} in {pattern}. {why}"
    return Fix(text)


# Why a leak matters: said once, under the first leak, not repeated under each.
_WHY_LEAKS = (
    "A connection left open keeps PostgreSQL from dropping the test database "
    '("is being accessed by other users") and piles up in production.',
    "A pool's worker thread keeps it as long as the pool lives; a thread that ends, until the garbage "
    "collector frees it, so the failure comes and goes.",
)


def _leak_finding(entry: ThreadEntry, details: tuple[str, ...] = ()) -> Finding:
    where = f"{entry.path}:{entry.line}"
    if entry.closing is Closing.HAPPY_PATH:
        verdict = "and does not close its connection on every exit path (an exception or a return skips the close)"
    else:
        verdict = "and never closes its database connection"
    return Finding.fail(
        f"{where}: {_describe(entry)} {_orm_clause(entry)} {verdict}",
        fix=_leak_fix(entry),
        details=details,
        key=where,
        title="Thread leaks a database connection",
    )


@_django_check("django.thread-connections", "Threads close their database connections")
def thread_connections(ctx: DoctorContext, root: Path) -> Iterator[Finding]:
    """FAIL for every thread that uses the ORM and leaves its connection open on some exit path."""
    scan = _threads(ctx, root)
    details = [f"{path}: not checked ({error})" for path, error in scan.unparsable]
    problems = 0
    for entry in scan.threads:
        if entry.leaks:
            problems += 1
            # The reasons, and the files not checked, under the first finding only.
            yield _leak_finding(entry, (*_WHY_LEAKS, *details) if problems == 1 else ())
        elif entry.orm is not None and entry.closing is Closing.OBSOLETE_ONLY:
            problems += 1
            where = f"{entry.path}:{entry.line}"
            yield Finding.warn(
                f"{where}: {_describe(entry)} {_orm_clause(entry)} and closes it with close_old_connections(), "
                "which keeps connections younger than CONN_MAX_AGE open",
                fix=Fix(f"Call {FIX} in the finally block instead: the thread will not reuse its connection."),
                key=where,
                title="Thread may keep a database connection",
            )
    if problems:
        return
    using = [t for t in scan.threads if t.orm is not None]
    analysed = {f"{t.path}:{t.line}" for t in scan.threads}
    unseen = [s for s in scan.starts if s not in analysed]
    if using:
        message = f"{len(using)} of {len(scan.threads)} threads use the ORM, and all close their connections"
    elif scan.starts:
        message = f"{len(scan.starts)} thread start(s) found; none of those analysed uses the ORM"
    else:
        message = f"the project starts no threads ({scan.files} Python files read)"
    if unseen:
        message += (
            f"; {len(unseen)} run code this check cannot follow (another package, a name made at run time): "
            "`pytest -p vagrantkit.django` checks them as the tests run"
        )
        details += [f"{start}: what the thread runs is not in the project: not checked" for start in unseen]
    yield Finding.passed(message, details=details)


# --- uWSGI ------------------------------------------------------------------------------


def _uwsgi_fix(launch: UwsgiLaunch) -> Fix:
    if launch.source in ("ini", "yaml"):
        line = "enable-threads = true" if launch.source == "ini" else "  enable-threads: true"
        return Fix(f"Add `{line.strip()}` to the {launch.text} section of {launch.path} (or set threads above 1).")
    return Fix(
        f"Add --enable-threads to the uwsgi command at {launch.path}:{launch.line}, "
        "or set UWSGI_ENABLE_THREADS=1 in its environment."
    )


@_django_check("django.uwsgi-threads", "uWSGI runs the app's threads")
def uwsgi_threads(ctx: DoctorContext, root: Path) -> Iterator[Finding]:
    """FAIL for every uWSGI launch without enable-threads when the project starts threads."""
    uwsgi = scan_uwsgi(root)
    if not uwsgi.launches:
        yield Finding.skip("no uWSGI configuration or command line in the project")
        return
    starts = _threads(ctx, root).starts
    if not starts:
        yield Finding.passed("the project starts no threads: uWSGI's enable-threads is not needed")
        return
    for launch in uwsgi.without_threads:
        what = f"the {launch.text} section" if launch.source in ("ini", "yaml") else f"`{launch.text}`"
        yield Finding.fail(
            f"{launch.path}:{launch.line}: {what} runs the app without enable-threads, "
            f"so the threads the project starts ({_places(starts)}) do not run",
            fix=_uwsgi_fix(launch),
            details=[
                "uWSGI 2.0 starts Python without thread support unless enable-threads is set; it logs "
                '"*** Python threads support is disabled. You can enable it with --enable-threads ***".'
            ],
            key=f"{launch.path}:{launch.line}",
            title="uWSGI without enable-threads",
        )
    if not uwsgi.without_threads:
        why = f" ({uwsgi.environment})" if uwsgi.environment else ""
        yield Finding.passed(f"threads are on in every uWSGI launch ({len(uwsgi.launches)}){why}")


# --- shared folder ----------------------------------------------------------------------


def _share(ctx: DoctorContext, root: Path) -> SharedProject | None:
    guest = None
    if ctx.host.os is OS.LINUX:
        guest = guest_share(root, lambda: ctx.host.read_text("/proc/mounts"), ctx.host.environ)
    if guest is not None or ctx.vagrantfile is None:
        return guest
    model = vagrantfile_facts(ctx)
    return host_share(root, ctx.vagrantfile, model) if model is not None else None


@_django_check("django.shared-folder", "Dev server on a shared folder")
def shared_folder(ctx: DoctorContext, root: Path) -> Iterator[Finding]:
    """WARN when the project is on a host share: reloading polls, and .pyc files land on the share."""
    share = _share(ctx, root)
    if share is None:
        yield Finding.passed("the project is not on a folder shared with the host")
        return
    side = "mounted" if share.side is Side.GUEST else "synced into the guest"
    on = f"{share.guest_path} is {side} as {share.kind} ({share.where})"
    reload_message = (
        f"{on}: inotify does not see edits made on the host, so runserver notices them only by polling "
        "(StatReloader stats every module once a second, over the share)"
    )
    if share.fstype in _FAST_SHARES:
        yield Finding.passed(reload_message + "; keep pywatchman out of the guest", key="reload")
    else:
        yield Finding.warn(
            reload_message,
            fix=Fix(
                f"Polling over {share.kind} is slow: switch the synced folder to NFS (vagrantkit init writes it, "
                "keeping a backup of your Vagrantfile), then reload the VM. Keep pywatchman out of the guest: "
                "Watchman relies on inotify and would miss host edits. `vagrantkit bench --ops reloader` "
                "measures one reloader pass on each folder.",
                ("vagrantkit init --dry-run", "vagrantkit init --force", "vagrant reload"),
            ),
            key="reload",
            title="runserver polls the shared folder",
        )
    if share.pycache_on_share:
        place = "in the guest, " if share.side is Side.HOST else ""
        yield Finding.warn(
            f"Python writes its .pyc files into __pycache__ folders under {share.guest_path}, on the share",
            fix=Fix(
                f"Keep bytecode on the guest's own disk with PYTHONPYCACHEPREFIX (Python 3.8+): {place}add it to "
                "~/.profile and log in again. `vagrantkit bench --ops pyc` measures the difference.",
                (PYCACHE_LINE, "vagrantkit bench --ops pyc"),
            ),
            key="pyc",
            title=".pyc files on the share",
        )
    elif share.pycache_prefix:
        yield Finding.passed(f"bytecode goes to {share.pycache_prefix}, off the share", key="pyc")
    else:
        yield Finding.passed("PYTHONDONTWRITEBYTECODE is set: no .pyc is written to the share", key="pyc")
