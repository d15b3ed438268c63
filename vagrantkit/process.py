"""The one seam through which vagrantkit runs other programs.

Every subprocess call goes through :func:`run`: a list argv (never a shell), a timeout,
text output captured. Tests replace the seam by passing another callable with the same
signature where a ``ProcessRunner`` is accepted. (``runner`` in vagrantkit means one thing: the
bench runner sent into guests, ``vagrantkit/bench/runner.py``.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from vagrantkit.errors import CommandError

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Completed:
    """What a finished command left behind."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class ProcessRunner(Protocol):
    def __call__(
        self,
        argv: Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
    ) -> Completed: ...


def run(
    argv: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
) -> Completed:
    """Run ``argv`` and capture its output.

    The program gets a pipe for stdin, always: ``input`` (UTF-8 bytes, so no text-mode newline
    translation on Windows) or nothing, never our own console. It runs in a process group of its
    own, and a timeout or an interrupt stops that whole group, not only the program started:
    ``vagrant`` is a launcher whose ruby and ssh children would otherwise keep running, and keep
    the pipes open, so that reading them would wait without end (python/cpython#75628).

    Args:
        argv: The program and its arguments; never passed through a shell.
        timeout: Seconds before the program is stopped.
        cwd: Working directory.
        env: Full environment for the program (default: inherited).
        input: Text sent to its standard input.

    Returns:
        The exit code and the decoded output (undecodable bytes replaced).

    Raises:
        CommandError: The program is not found, cannot be started, or timed out.
    """
    argv = [str(a) for a in argv]
    proc = _start(argv, cwd, env)
    try:
        out, err = proc.communicate((input or "").encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_group(proc)
        raise CommandError(f"{' '.join(argv)}: no answer after {timeout:g} s") from None
    except BaseException:  # Ctrl-C, SIGTERM turned into an exception: nothing left running
        stop_group(proc, interrupt=True)
        raise
    JOBS.release(proc)
    return Completed(tuple(argv), proc.returncode, _text(out), _text(err))


class Interactor(Protocol):
    def __call__(
        self,
        argv: Sequence[str],
        *,
        first: bytes,
        on_line: Callable[[str], str | None],
        timeout: float = DEFAULT_TIMEOUT,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Completed: ...


def interact(
    argv: Sequence[str],
    *,
    first: bytes,
    on_line: Callable[[str], str | None],
    timeout: float = DEFAULT_TIMEOUT,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Completed:
    """Run ``argv`` as a conversation: ``first`` on its stdin, then each line it writes to stderr to
    ``on_line``, whose answer (if not None) goes back on its stdin as one line.

    Like :func:`run`: a process group of its own, stopped whole on a timeout (``timeout`` for the
    whole conversation) or an interrupt. The stderr lines ``on_line`` answered or consumed (it
    returns ``""``) are left out of the result's stderr; stdout is collected whole.

    Raises:
        CommandError: The program is not found, cannot be started, or timed out.
    """
    argv = [str(a) for a in argv]
    proc = _start(argv, cwd, env)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stdout: list[bytes] = []
    out = proc.stdout
    reader = threading.Thread(target=lambda: stdout.append(out.read()), daemon=True)
    reader.start()
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        stop_group(proc, drain=False)  # the conversation's thread reads the pipes

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    kept: list[str] = []
    try:
        with suppress(BrokenPipeError, OSError):
            proc.stdin.write(first)
            proc.stdin.flush()
        for raw in iter(proc.stderr.readline, b""):
            line = _text(raw).rstrip("\r\n")
            answer = on_line(line)
            if answer is None:
                kept.append(line)
            elif answer:
                with suppress(BrokenPipeError, OSError):
                    proc.stdin.write(answer.encode("utf-8") + b"\n")
                    proc.stdin.flush()
        with suppress(OSError):
            proc.stdin.close()
        proc.wait()
        reader.join(GRACE)
        JOBS.release(proc)
    except BaseException:  # Ctrl-C, SIGTERM turned into an exception, on_line's own error
        stop_group(proc, interrupt=True, drain=False)
        raise
    finally:
        timer.cancel()
    if expired.is_set():
        raise CommandError(f"{' '.join(argv)}: no answer after {timeout:g} s")
    return Completed(tuple(argv), proc.returncode, _text(b"".join(stdout)), "\n".join(kept) + ("\n" if kept else ""))


# How long a stopped group gets to end by itself (and its pipes to drain) before it is killed.
GRACE = 5.0


def spawn(
    argv: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``argv`` to talk to it for long (``vagrantkit watch``'s ssh session): three pipes, a
    process group of its own; stop it with :func:`stop_group`.

    Raises:
        CommandError: The program is not found or cannot be started.
    """
    return _start([str(a) for a in argv], cwd, env)


def _start(argv: Sequence[str], cwd: Path | None, env: Mapping[str, str] | None) -> subprocess.Popen[bytes]:
    """``argv`` with three pipes, in a process group of its own (on Windows also in a job object)."""
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **_own_group(),
        )
    except FileNotFoundError as exc:
        raise CommandError(f"{argv[0]}: command not found") from exc
    except OSError as exc:
        raise CommandError(f"{argv[0]}: cannot run it ({exc.strerror})") from exc
    if sys.platform == "win32":
        JOBS.adopt(proc)
    return proc


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _own_group() -> dict[str, Any]:
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined,unused-ignore]
    return {"start_new_session": True}


def stop_group(proc: subprocess.Popen[bytes], *, interrupt: bool = False, drain: bool = True) -> None:
    """Stop ``proc`` and everything it started, then reap it; waits a few times :data:`GRACE` at most.

    POSIX: SIGINT (an interrupt, so `vagrant` can clean up as after Ctrl-C) or SIGTERM to the
    process group, SIGKILL to what is left of it after :data:`GRACE`. Windows: ``taskkill /T /F`` on
    the tree (a console's Ctrl-C does not reach a process group of its own). ``drain``: read what
    is left in its pipes (not when another thread reads them).
    """
    if sys.platform == "win32":
        stop_windows_tree(proc)
    else:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGINT if interrupt else signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=GRACE)
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever of the group outlived its leader
    if drain:
        with suppress(subprocess.TimeoutExpired, OSError, ValueError):
            proc.communicate(timeout=GRACE)
    if proc.poll() is None:
        proc.kill()
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=GRACE)


# -- Windows: a job object holds the whole tree (taskkill /T misses children whose parent is gone)
#
# No JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: what a program started to outlive it must outlive the
# job too. `vagrant up` on Windows starts WinNFSd (vagrant-winnfsd's nfsservice.bat) to serve the
# NFS folder after Vagrant has exited; closing a kill-on-close job would end it, and the guest's
# mount with it. The job is only terminated on a stop (timeout, interrupt).


class JobApi(Protocol):
    """The four kernel32 calls a job needs (a fake in tests: nothing here runs Windows)."""

    def create(self) -> int | None: ...  # a new job, or None
    def assign(self, job: int, proc: subprocess.Popen[bytes]) -> bool: ...
    def terminate(self, job: int) -> bool: ...
    def close(self, job: int) -> None: ...


class Jobs:
    """The job object of each process started on Windows, so a stop ends its whole tree.

    A process is assigned right after it starts (subprocess cannot start it suspended): a child it
    made in that instant is outside the job, and taskkill /T is still the fallback.
    """

    def __init__(self, api: JobApi | None) -> None:
        self.api = api
        self.jobs: dict[int, int] = {}
        self.lock = threading.Lock()

    def adopt(self, proc: subprocess.Popen[bytes]) -> bool:
        """Put ``proc`` into a job of its own; False when none could be made (then taskkill is used)."""
        job = self.api.create() if self.api else None
        if self.api is None or job is None:
            return False
        if not self.api.assign(job, proc):
            self.api.close(job)
            return False
        with self.lock:
            self.jobs[proc.pid] = job
        return True

    def release(self, proc: subprocess.Popen[bytes]) -> None:
        """``proc`` has ended: close its job (what it left running, WinNFSd say, keeps running)."""
        with self.lock:
            job = self.jobs.pop(proc.pid, None)
        if self.api is not None and job is not None:
            self.api.close(job)

    def terminate(self, proc: subprocess.Popen[bytes]) -> bool:
        """End every process in ``proc``'s job; False when it has none or that failed."""
        with self.lock:
            job = self.jobs.pop(proc.pid, None)
        if self.api is None or job is None:
            return False
        try:
            return self.api.terminate(job)
        finally:
            self.api.close(job)


def stop_windows_tree(
    proc: subprocess.Popen[bytes], jobs: Jobs | None = None, run_taskkill: Callable[..., Any] = subprocess.run
) -> None:
    """Windows: terminate ``proc``'s job object, or, without one, ``taskkill /T /F`` on its tree."""
    if (jobs or JOBS).terminate(proc):
        return
    with suppress(OSError, subprocess.SubprocessError):
        run_taskkill(["taskkill", "/T", "/F", "/PID", str(proc.pid)], capture_output=True, timeout=GRACE, check=False)


if sys.platform == "win32":

    class _Kernel32:
        def __init__(self) -> None:
            import ctypes  # here: only Windows needs it, and it costs every start a few ms
            from ctypes import wintypes

            k = ctypes.WinDLL("kernel32", use_last_error=True)
            k.CreateJobObjectW.restype = wintypes.HANDLE
            k.CreateJobObjectW.argtypes = [ctypes.c_void_p, wintypes.LPCWSTR]
            k.AssignProcessToJobObject.argtypes = [wintypes.HANDLE, wintypes.HANDLE]
            k.TerminateJobObject.argtypes = [wintypes.HANDLE, wintypes.UINT]
            k.CloseHandle.argtypes = [wintypes.HANDLE]
            self.k = k

        def create(self) -> int | None:
            job = self.k.CreateJobObjectW(None, None)
            return int(job) if job else None

        def assign(self, job: int, proc: subprocess.Popen[bytes]) -> bool:
            return bool(self.k.AssignProcessToJobObject(job, int(proc._handle)))  # type: ignore[attr-defined]

        def terminate(self, job: int) -> bool:
            return bool(self.k.TerminateJobObject(job, 1))

        def close(self, job: int) -> None:
            self.k.CloseHandle(job)

    def _kernel32() -> JobApi | None:
        try:
            return _Kernel32()
        except (OSError, AttributeError):
            return None

    JOBS = Jobs(_kernel32())
else:
    JOBS = Jobs(None)
