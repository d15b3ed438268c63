"""The subprocess seam (vagrantkit.process.run) with real processes: stdin, output, and a timeout that leaves nothing behind."""

from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path

import pytest

from tests.netns import process_alive
from vagrantkit.errors import CommandError
from vagrantkit.process import interact, run
from vagrantkit.vagrant_adapter import VagrantAdapter

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX process groups (Windows uses taskkill /T)")


def processes_with(marker: str) -> list[int]:
    """Live processes whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if marker in cmdline and state != "Z":
                found.append(int(entry.name))
    return found


def test_a_command_that_hangs_is_stopped_with_everything_it_started() -> None:
    # Like `vagrant ssh`: a launcher whose child keeps the pipes open after the launcher is gone.
    marker = f"vagrantkit-hang-{secrets.token_hex(4)}"
    script = f"exec -a {marker} sleep 300 & exec -a {marker}-parent sleep 300"
    started = time.monotonic()
    with pytest.raises(CommandError, match="no answer after 1 s"):
        run(["bash", "-c", script], timeout=1)
    assert time.monotonic() - started < 15
    deadline = time.monotonic() + 5
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == []


def test_stdin_is_a_pipe_even_without_input_and_input_arrives_as_utf8_bytes() -> None:
    code = "import sys; data = sys.stdin.buffer.read(); sys.stdout.write(repr(data))"
    assert run([sys.executable, "-c", code]).stdout == "b''"
    assert run([sys.executable, "-c", code], input="a\nb é\n").stdout == repr("a\nb é\n".encode())


def test_undecodable_output_is_replaced_not_fatal() -> None:
    done = run([sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'ok \\xff'); sys.exit(3)"])
    assert (done.returncode, done.stdout) == (3, "ok \ufffd")


def test_a_missing_program_is_a_command_error() -> None:
    with pytest.raises(CommandError, match="no-such-program-here: command not found"):
        run(["no-such-program-here"])


def test_a_conversation_answers_each_stderr_line_on_stdin_and_keeps_the_rest() -> None:
    child = (
        "import sys\n"
        "code = sys.stdin.buffer.read(int(sys.stdin.buffer.readline()))\n"  # like the runner's loader
        "for word in code.split():\n"
        "    print('ask ' + word.decode(), file=sys.stderr, flush=True)\n"
        "    print(sys.stdin.readline().strip())\n"
        "print('plain stderr line', file=sys.stderr)\n"
    )
    payload = b"one two"
    done = interact(
        [sys.executable, "-c", child],
        first=str(len(payload)).encode() + b"\n" + payload,
        on_line=lambda line: line.upper() if line.startswith("ask ") else None,
        timeout=30,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "ASK ONE\nASK TWO\n", "plain stderr line\n")


def test_a_conversation_that_hangs_is_stopped_with_everything_it_started() -> None:
    marker = f"vagrantkit-talk-{secrets.token_hex(4)}"
    with pytest.raises(CommandError, match="no answer after 1 s"):
        interact(
            ["bash", "-c", f"exec -a {marker} sleep 300 & exec -a {marker}-parent sleep 300"],
            first=b"",
            on_line=lambda _: None,
            timeout=1,
        )
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == []


@pytest.mark.parametrize("verb", ["ssh", "ssh_stream"])
def test_a_hung_vagrant_ssh_raises_the_timeout_and_leaves_no_process_behind(tmp_path: Path, verb: str) -> None:
    # A `vagrant` on PATH that starts an "ssh" child holding the pipes, as Vagrant's ruby does, and never ends.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pids = tmp_path / "pids"
    fake = bin_dir / "vagrant"
    fake.write_text(f"#!/bin/sh\necho $$ >> {pids}\nsh -c 'echo $$ >> {pids}; exec sleep 300' &\nwait\n")
    fake.chmod(0o755)
    adapter = VagrantAdapter(tmp_path, env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    started = time.monotonic()
    with pytest.raises(CommandError, match="vagrant ssh default --no-tty -c true: no answer after 1 s"):
        if verb == "ssh":
            adapter.ssh("true", machine="default", timeout=1)
        else:
            adapter.ssh_stream("true", machine="default", first=b"", on_line=lambda _: None, timeout=1)
    assert time.monotonic() - started < 15
    tree = [int(p) for p in pids.read_text().split()]
    assert len(tree) == 2  # the launcher and its "ssh"
    deadline = time.monotonic() + 10
    while any(map(process_alive, tree)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p for p in tree if process_alive(p)] == []
