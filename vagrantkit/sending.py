"""How a one-file program of ours reaches a guest's python3: on stdin, in front of the conversation.

``python3 -c LOADER`` reads the file's length from the first line of stdin, then the file, and runs
it as ``__main__``; the rest of stdin stays the program's own (the bench runner's host answers, the
watch receiver's messages). Nothing is copied into the guest, nothing is left there, and no shell
quoting of the file is needed.
"""

from __future__ import annotations

from pathlib import Path


def loader(name: str) -> str:
    """The ``python3 -c`` program that runs the file sent on stdin under ``name`` (tracebacks show it)."""
    return (
        "import sys;b=sys.stdin.buffer;n=int(b.readline());"
        f"exec(compile(b.read(n),{name!r},'exec'),{{'__name__':'__main__'}})"
    )


def payload(path: Path) -> bytes:
    """What :func:`loader` reads first: the file's length, a newline, the file."""
    script = path.read_bytes()
    return str(len(script)).encode() + b"\n" + script
