"""The one seam through which vagrantkit runs other programs.

Every subprocess call goes through :func:`run`: a list argv (never a shell), a timeout,
text output captured. Tests replace the seam by passing another callable with the same
signature where a ``Runner`` is accepted.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

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


class Runner(Protocol):
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

    Args:
        argv: The program and its arguments; never passed through a shell.
        timeout: Seconds before the program is killed.
        cwd: Working directory.
        env: Full environment for the program (default: inherited).
        input: Text sent to its standard input.

    Returns:
        The exit code and the decoded output (undecodable bytes replaced).

    Raises:
        CommandError: The program is not found, cannot be started, or timed out.
    """
    argv = [str(a) for a in argv]
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            input=input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise CommandError(f"{argv[0]}: command not found") from exc
    except subprocess.TimeoutExpired as exc:
        raise CommandError(f"{' '.join(argv)}: no answer after {timeout:g} s") from exc
    except OSError as exc:
        raise CommandError(f"{argv[0]}: cannot run it ({exc.strerror})") from exc
    return Completed(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
