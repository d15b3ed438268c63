"""Where the bench runner runs: this machine, or a guest.

A transport takes the runner's command-line arguments (see ``vagrantkit/bench/runner.py``), runs
that one file with them on its machine, and returns the JSON document the runner printed. That is
the whole protocol; a new place to run (the lab's QEMU guest) implements :class:`Transport`:

    class QemuTransport:
        name = "qemu"
        def run_runner(self, args, progress=None):
            # copy runner.py into the guest (RUNNER_PATH.read_text()), run
            # `python3 runner.py *args`, return json.loads(stdout)
            ...

Runner exit codes a transport turns into errors: 2 bad input (:class:`RunnerUsageError`),
130/143/129 a signal (:class:`BenchInterrupted`). Exit code 1 still comes with a document
whose ``status`` is ``failed``; it is returned, so the caller can show what was measured.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from vagrantkit import sending
from vagrantkit.bench import runner as bench_runner
from vagrantkit.errors import VagrantkitError
from vagrantkit.framing import END, mark, sections
from vagrantkit.process import Completed

RUNNER_PATH = Path(bench_runner.__file__)
Progress = Callable[[dict[str, Any]], None]
# Answers one of the runner's requests to the host side (op ``edit``).
Editor = Callable[[Mapping[str, Any]], dict[str, Any]]
SIGNAL_EXITS = {v: k for k, v in bench_runner.SIGNAL_EXIT.items()}
# A full run on a slow share can take an hour; the guest must not be cut off earlier.
GUEST_TIMEOUT = 4 * 3600.0
RUNNER_SECTION = "runner"


class RunnerUsageError(VagrantkitError):
    """The runner refused its arguments (exit code 2): nothing was written."""

    exit_code = 2


class BenchInterrupted(VagrantkitError):
    """A signal stopped the run; the runner removed its scratch folders first."""

    def __init__(self, signame: str) -> None:
        super().__init__(f"bench interrupted by {signame}; scratch folders removed")
        self.exit_code = bench_runner.SIGNAL_EXIT.get(signame, 1)


class Transport(Protocol):
    """Runs runner.py somewhere and returns its JSON document."""

    name: str

    def run_runner(
        self, args: Sequence[str], progress: Progress | None = None, editor: Editor | None = None
    ) -> dict[str, Any]:
        """Run ``runner.py *args``; ``progress`` gets the runner's progress events as they happen, and
        ``editor`` answers its edit requests (op ``edit``: the host side, :class:`vagrantkit.bench.edit.HostEditor`).

        Raises:
            RunnerUsageError: The runner rejected the arguments.
            BenchInterrupted: A signal stopped the runner.
            VagrantkitError: The runner could not be started or printed no document.
        """
        ...


class LocalTransport:
    """Runs the runner in this process (progress streams live; Ctrl-C and SIGTERM clean up too)."""

    name = "local"

    def run_runner(
        self, args: Sequence[str], progress: Progress | None = None, editor: Editor | None = None
    ) -> dict[str, Any]:
        try:
            config = bench_runner.parse_args(args)
            return bench_runner.execute(config, progress=progress, ask=editor)
        except bench_runner.UsageError as exc:
            raise RunnerUsageError(str(exc)) from None
        except bench_runner.Interrupted as exc:
            raise BenchInterrupted(exc.signame) from None


def parse_document(stdout: str, returncode: int, stderr: str, where: str) -> dict[str, Any]:
    """Turn a runner's output and exit code into its document, or the matching error."""
    if returncode == bench_runner.EXIT_USAGE:
        raise RunnerUsageError(stderr.strip().removeprefix("runner.py: error: ") or f"the runner in {where} refused")
    if returncode in SIGNAL_EXITS:
        raise BenchInterrupted(SIGNAL_EXITS[returncode])
    try:
        doc = json.loads(stdout)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or doc.get("schema") != bench_runner.SCHEMA:
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        raise VagrantkitError(f"the bench runner in {where} failed (exit {returncode}): {tail}")
    return doc


class GuestShell(Protocol):
    """The one verb a guest transport needs from the Vagrant adapter: a conversation over ``vagrant ssh``."""

    def ssh_stream(
        self, command: str, *, first: bytes, on_line: Callable[[str], str | None], timeout: float = ...
    ) -> Completed: ...


# How the guest's python3 gets the runner (vagrantkit/sending.py): the rest of stdin stays free for
# the host's answers to edit requests (``--control stdio``).
LOADER = sending.loader("runner.py")


def runner_payload() -> bytes:
    """What :data:`LOADER` reads first: the runner's length, a newline, the runner."""
    return sending.payload(RUNNER_PATH)


def conversation(progress: Progress | None, editor: Editor | None) -> Callable[[str], str | None]:
    """The host's side of the runner's stderr: progress lines to ``progress``, edit requests to
    ``editor`` (its answer goes back on stdin); anything else is kept as the runner's stderr."""

    def on_line(line: str) -> str | None:
        if not line.startswith("{"):
            return None
        try:
            event = json.loads(line)
        except ValueError:
            return None
        if not isinstance(event, dict):
            return None
        if "control" in event:
            answer = editor(event["control"]) if editor else {"ok": False, "error": "no host side here"}
            return json.dumps(answer)
        if "progress" in event:
            if progress:
                progress(event)
            return ""
        return None

    return on_line


class VagrantTransport:
    """Runs runner.py in the guest over ``vagrant ssh --no-tty -c "python3 -c LOADER ARGS"``.

    The runner arrives on stdin (see :data:`LOADER`); its progress and edit requests come back as
    lines on stderr, as they happen; its document on stdout, framed by sentinel lines, so a login
    profile that prints something cannot break it.

    Args:
        adapter: The Vagrant adapter, bound to the machine (``ssh_stream`` returns a ``process.Completed``).
        python: The guest's Python 3.8+ interpreter.
    """

    name = "vagrant"

    def __init__(self, adapter: GuestShell, python: str = "python3") -> None:
        self.adapter = adapter
        self.python = python

    def run_runner(
        self, args: Sequence[str], progress: Progress | None = None, editor: Editor | None = None
    ) -> dict[str, Any]:
        # ASCII only: Vagrant hands the command to ssh as an argument, which Windows converts to the
        # console's code page; a path that is not ASCII travels base64-encoded.
        runner = shlex.join([self.python, "-c", LOADER, *bench_runner.encode_argv([*args, "--progress"])])
        command = "; ".join([mark(RUNNER_SECTION), runner, "rc=$?", mark(END), "exit $rc"])
        done = self.adapter.ssh_stream(
            command, first=runner_payload(), on_line=conversation(progress, editor), timeout=GUEST_TIMEOUT
        )
        found = sections(done.stdout)
        stdout = "\n".join(found[RUNNER_SECTION]) if RUNNER_SECTION in found else done.stdout
        return parse_document(stdout, done.returncode, done.stderr, "the guest")
