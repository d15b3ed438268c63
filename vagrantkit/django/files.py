"""Which files of a project the Django analyzers read."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

# Folders that hold no project code of the user's own: caches and installed packages. Hidden folders
# (.git, .venv, .tox, .mypy_cache, .vagrant, ...) are skipped by their leading dot, so they need no entry.
SKIPPED_DIRS = frozenset({"venv", "__pycache__", "node_modules", "site-packages"})


def project_files(root: Path, wanted: Callable[[Path], bool]) -> Iterator[Path]:
    """Files under ``root`` for which ``wanted(path)`` is true, in a stable order.

    Skips :data:`SKIPPED_DIRS`, hidden folders and virtual environments (any folder holding a
    ``pyvenv.cfg``), and does not follow symlinked folders (a link back up would loop).
    """
    for current, dirs, names in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIPPED_DIRS and not d.startswith(".") and not (here / d / "pyvenv.cfg").exists()
        )
        for name in sorted(names):
            path = here / name
            if wanted(path):
                yield path


def relative(root: Path, path: Path) -> str:
    """``path`` relative to ``root`` with forward slashes, as findings print it on every OS."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
