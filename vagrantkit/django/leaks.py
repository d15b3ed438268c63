"""At run time: which thread opened each database connection, and is it still open when a test ends?

Static analysis cannot see every leak (a function of another package run in a thread, a name built
at run time); this can, and it cannot be wrong: it looks at the connections themselves. While it is
installed, every ``BaseDatabaseWrapper.connect()`` records the thread that opened the connection,
what that thread runs, and the stack of the call. When a test ends, :func:`open_leaks` lists the
connections opened by another thread than the test's own that are still open, naming the thread,
its target and the line of the project's code that opened the connection: the test fails with that,
before PostgreSQL's "database ... is being accessed by other users" at the end of the run.

Not a leak: connections of the test's own thread; of Django's LiveServerThread and the request
threads of its server (Django closes those itself); a connection shared on purpose
(``inc_thread_sharing()``, as Django's own tests do); one closed by the time the test ends,
whoever closed it; one whose wrapper was garbage collected (its driver closed it).
"""

from __future__ import annotations

import functools
import os
import sysconfig
import threading
import traceback
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The request threads of the live server (socketserver's ThreadingMixIn, Django's WSGI handler):
# Django closes their connections itself when each request ends.
_REQUEST_THREADS = ("/socketserver.py", "/django/core/servers/basehttp.py")
FIX = "django.db.connections.close_all()"


@dataclass(frozen=True)
class Opened:
    """Where a connection was opened: by which thread, running what, from which line."""

    alias: str
    thread: str
    thread_id: int
    target: str
    where: str  # path:line of the project's frame nearest the open
    code: str  # that line's text
    alive: bool  # the thread still runs (checked when reported)

    def describe(self) -> str:
        state = "still running" if self.alive else "finished"
        return (
            f"thread {self.thread!r} ({state}, target {self.target}) opened database connection "
            f"{self.alias!r} at {self.where} ({self.code}) and left it open"
        )


@dataclass
class _Record:
    alias: str
    thread: weakref.ref[threading.Thread]
    thread_name: str
    thread_id: int
    stack: traceback.StackSummary


class LeakTracker:
    """Records who opens each connection (installed around ``BaseDatabaseWrapper.connect``)."""

    def __init__(self) -> None:
        self._records: weakref.WeakKeyDictionary[Any, _Record] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._original: Any = None
        self.owner = threading.get_ident()  # the thread that runs the tests

    def install(self) -> None:
        from django.db.backends.base.base import BaseDatabaseWrapper

        if self._original is not None:
            return
        original = BaseDatabaseWrapper.connect
        tracker = self

        def connect(wrapper: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(wrapper, *args, **kwargs)
            tracker.opened(wrapper)
            return result

        connect.__wrapped__ = original  # type: ignore[attr-defined]
        self._original = original
        BaseDatabaseWrapper.connect = connect

    def uninstall(self) -> None:
        from django.db.backends.base.base import BaseDatabaseWrapper

        if self._original is not None:
            BaseDatabaseWrapper.connect = self._original
            self._original = None

    def opened(self, wrapper: Any) -> None:
        thread = threading.current_thread()
        stack = traceback.StackSummary.from_list(
            traceback.extract_stack()[:-2]
        )  # not this function, nor connect's wrapper
        with self._lock:
            self._records[wrapper] = _Record(
                getattr(wrapper, "alias", "?"), weakref.ref(thread), thread.name, thread.ident or 0, stack
            )

    def open_leaks(self, *, close: bool = True) -> list[Opened]:
        """Connections another thread opened and left open; with ``close``, closed here afterwards
        (so that one leak is reported once, and the test database can still be dropped)."""
        found: list[Opened] = []
        with self._lock:
            records = list(self._records.items())
        for wrapper, record in records:
            if getattr(wrapper, "connection", None) is None or record.thread_id == self.owner:
                continue
            if getattr(wrapper, "allow_thread_sharing", False):
                continue  # shared on purpose (inc_thread_sharing), as Django's own tests do
            thread = record.thread()
            files = [frame.filename.replace("\\", "/") for frame in record.stack]
            if _is_live_server(thread) or any(marker in f for f in files for marker in _REQUEST_THREADS):
                continue
            found.append(
                Opened(
                    record.alias,
                    record.thread_name,
                    record.thread_id,
                    _target(thread, record.stack),
                    *_project_frame(record.stack),
                    thread is not None and thread.is_alive(),
                )
            )
            if close:
                _close_from_here(wrapper)
            with self._lock:
                self._records.pop(wrapper, None)
        return found


def _is_live_server(thread: threading.Thread | None) -> bool:
    """Django's LiveServerThread (and subclasses): Django closes its connections when the class ends."""
    return thread is not None and any(
        c.__name__ == "LiveServerThread" and c.__module__ == "django.test.testcases" for c in type(thread).__mro__
    )


@functools.cache
def _not_project() -> tuple[str, ...]:
    """Folders whose frames are not the project's: Django's, asgiref's, the standard library's, this file."""
    import asgiref
    import django

    folders = [Path(django.__file__).parent, Path(asgiref.__file__).parent, Path(sysconfig.get_paths()["stdlib"])]
    return (*(str(f.resolve()) + os.sep for f in folders), str(Path(__file__).resolve()))


def _project_frames(stack: traceback.StackSummary) -> Iterator[traceback.FrameSummary]:
    skip = _not_project()
    return (f for f in stack if not os.path.realpath(f.filename).startswith(skip))


def _project_frame(stack: traceback.StackSummary) -> tuple[str, str]:
    """(``path:line``, its code) of the project's frame nearest the open (the last one)."""
    frames = list(_project_frames(stack))
    frame = frames[-1] if frames else stack[-1]
    return f"{_short(frame.filename)}:{frame.lineno}", (frame.line or "").strip()


def _target(thread: threading.Thread | None, stack: traceback.StackSummary) -> str:
    """What the thread runs: its ``target``, or its class's ``run``; for a pool's worker, the task
    (the outermost project function on the stack)."""
    frames = list(_project_frames(stack))
    target = getattr(thread, "_target", None)
    name = getattr(target, "__qualname__", None)
    module = getattr(target, "__module__", "") or ""
    if thread is not None and target is None and type(thread).run is not threading.Thread.run:
        return f"{type(thread).__module__}.{type(thread).__qualname__}.run"
    if name and not module.startswith(("concurrent.", "threading", "asyncio", "asgiref")):
        return f"{module}.{name}" if module else name
    if frames:
        return f"{frames[0].name} ({_short(frames[0].filename)}:{frames[0].lineno})"
    return name or "?"


def _short(filename: str) -> str:
    """A path relative to the current folder when it is below it (the project), else as it is."""
    path = Path(filename)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return filename


def _close_from_here(wrapper: Any) -> None:
    """Close another thread's connection: Django allows it only while sharing is on."""
    try:
        wrapper.inc_thread_sharing()
        try:
            wrapper.close()
        finally:
            wrapper.dec_thread_sharing()
    except Exception:  # a broken connection is closed enough; the report stands
        pass


def report(leaks: list[Opened]) -> str:
    """The failure message: every leak, and the fix."""
    lines = [f"{len(leaks)} database connection{'s' if len(leaks) != 1 else ''} left open by other threads:"]
    lines += [f"  - {leak.describe()}" for leak in leaks]
    lines.append(
        f"Close it when the thread's work ends: call {FIX} in a `finally` around the work "
        "(otherwise PostgreSQL refuses to drop the test database: it 'is being accessed by other users')."
    )
    return "\n".join(lines)


class ConnectionLeak(AssertionError):
    """A test left a connection opened by another thread open (the message names it)."""
