"""One watch per machine, and a way for doctor to tell whether it runs: a lock file it holds.

``.vagrant/vagrantkit/watch-MACHINE.lock``, locked by the OS (flock, or msvcrt on Windows, through
filelock): when watch dies, however it dies, the lock goes with it; no stale pid to trust.
"""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock, Timeout

from vagrantkit.errors import VagrantkitError


def lock_path(project: Path, machine: str) -> Path:
    return project / ".vagrant" / "vagrantkit" / f"watch-{machine}.lock"


def hold(project: Path, machine: str) -> FileLock:
    """The lock, taken (release it, or use it as a context manager).

    Raises:
        VagrantkitError: Another watch holds it.
    """
    path = lock_path(project, machine)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise VagrantkitError(
            f"a vagrantkit watch already runs for {machine}",
            hint="One is enough: it forwards every change of the machine's NFS folders.",
        ) from None
    return lock


def running(project: Path, machine: str) -> bool:
    """Whether a watch (this process's or another's) holds the machine's lock."""
    path = lock_path(project, machine)
    if not path.exists():
        return False
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return True
    lock.release()
    return False
