"""The Windows job object that ends a whole `vagrant` tree: its structures and its fallback, tested here (no Windows).

The structures are defined with portable ctypes types, so their layout is checked against the
Win32 headers' on this machine's pointer size; kernel32 itself is replaced by a fake at the one seam.
"""

from __future__ import annotations

import ctypes
from typing import Any

from vagrantkit import process
from vagrantkit.process import (
    IO_COUNTERS,
    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
    JOBOBJECT_BASIC_LIMIT_INFORMATION,
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
    Jobs,
    kill_on_close_limits,
    stop_windows_tree,
)

WIDE = ctypes.sizeof(ctypes.c_void_p) == 8


def test_the_job_structures_have_the_win32_layout() -> None:
    # winnt.h: JOBOBJECT_BASIC_LIMIT_INFORMATION is 64 bytes on x64 (48 on x86), IO_COUNTERS 48,
    # JOBOBJECT_EXTENDED_LIMIT_INFORMATION 144 (112).
    assert ctypes.sizeof(JOBOBJECT_BASIC_LIMIT_INFORMATION) == (64 if WIDE else 48)
    assert ctypes.sizeof(IO_COUNTERS) == 48
    assert ctypes.sizeof(JOBOBJECT_EXTENDED_LIMIT_INFORMATION) == (144 if WIDE else 112)
    assert JOBOBJECT_BASIC_LIMIT_INFORMATION.LimitFlags.offset == 16
    assert JOBOBJECT_BASIC_LIMIT_INFORMATION.Affinity.offset == (48 if WIDE else 36)
    assert JOBOBJECT_EXTENDED_LIMIT_INFORMATION.ProcessMemoryLimit.offset == (112 if WIDE else 96)
    assert kill_on_close_limits().BasicLimitInformation.LimitFlags == JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE == 0x2000


class FakeKernel32:
    def __init__(self, *, create: bool = True, assign: bool = True) -> None:
        self.ok = {"create": create, "assign": assign}
        self.calls: list[tuple[str, Any]] = []

    def create(self) -> int | None:
        self.calls.append(("create", None))
        return 7 if self.ok["create"] else None

    def assign(self, job: int, proc: Any) -> bool:
        self.calls.append(("assign", (job, proc.pid)))
        return self.ok["assign"]

    def terminate(self, job: int) -> bool:
        self.calls.append(("terminate", job))
        return True

    def close(self, job: int) -> None:
        self.calls.append(("close", job))


class Proc:
    pid = 4242


def _stop(jobs: Jobs) -> list[list[str]]:
    taskkills: list[list[str]] = []
    stop_windows_tree(Proc(), jobs, lambda argv, **_: taskkills.append(argv))  # type: ignore[arg-type]
    return taskkills


def test_a_stop_terminates_the_job_and_needs_no_taskkill() -> None:
    api = FakeKernel32()
    jobs = Jobs(api)
    assert jobs.adopt(Proc())  # type: ignore[arg-type]
    assert _stop(jobs) == []
    assert api.calls == [("create", None), ("assign", (7, 4242)), ("terminate", 7), ("close", 7)]


def test_without_a_job_the_tree_is_killed_with_taskkill() -> None:
    for api in (FakeKernel32(create=False), FakeKernel32(assign=False)):
        jobs = Jobs(api)
        assert not jobs.adopt(Proc())  # type: ignore[arg-type]
        assert _stop(jobs) == [["taskkill", "/T", "/F", "/PID", "4242"]]
    assert api.calls[-1] == ("close", 7)  # a job that could not take the process is not leaked


def test_a_process_that_ended_closes_its_job() -> None:
    api = FakeKernel32()
    jobs = Jobs(api)
    jobs.adopt(Proc())  # type: ignore[arg-type]
    jobs.release(Proc())  # type: ignore[arg-type]
    assert api.calls[-1] == ("close", 7) and jobs.jobs == {}


def test_posix_makes_no_job() -> None:
    assert process.JOBS.api is None
    done = process.run(["true"])
    assert done.ok and process.JOBS.jobs == {}
