"""The Windows job object that ends a whole `vagrant` tree on a stop: its logic and its fallback, tested
here (no Windows): kernel32 is replaced by a fake at the one seam.
"""

from __future__ import annotations

from typing import Any

from vagrantkit import process
from vagrantkit.process import Jobs, stop_windows_tree


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
    # Closed, not terminated: what the program left running on purpose (WinNFSd, which `vagrant up`
    # starts to serve the NFS folder) keeps running.
    assert ("terminate", 7) not in api.calls


def test_posix_makes_no_job() -> None:
    assert process.JOBS.api is None
    done = process.run(["true"])
    assert done.ok and process.JOBS.jobs == {}
