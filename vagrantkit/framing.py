"""Sentinel lines that frame what a command prints in a guest, so nothing else can be mistaken for it.

``vagrant ssh -c`` runs a command through the user's login shell (``bash -l``): a profile that
prints something mixes its words into the command's output, before and after it. A script run in
the guest prints ``@@vagrantkit:<name>`` before each part of its answer (:func:`mark`), and only
what lies between the sentinels is read back (:func:`sections`). Markers are ASCII: Vagrant hands
the command to ssh as an argument, which Windows converts to the console's code page.
"""

from __future__ import annotations

import shlex

SENTINEL = "@@vagrantkit:"
END = "end"


def mark(name: str) -> str:
    """The POSIX shell command that prints the sentinel line opening section ``name``."""
    return f"printf '%s\\n' {shlex.quote(SENTINEL + name)}"


def sections(output: str) -> dict[str, list[str]]:
    """The lines of each framed section (CRLF tolerated); text before the first sentinel is dropped."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.replace("\r\n", "\n").split("\n"):
        if line.startswith(SENTINEL):
            current = found.setdefault(line[len(SENTINEL) :].strip(), [])
        elif current is not None:
            current.append(line)
    return found
