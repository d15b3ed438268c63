"""The Vagrantfile, read by a real Ruby parser (tree-sitter) and never executed.

One model (:mod:`.model`) answers every question about the file: lint (:mod:`.rules`, :mod:`.lint`),
``vagrantkit fix`` (:mod:`.fix`), doctor's checks and the Django shared-folder check. tree-sitter
is imported on first use, so commands that read no Vagrantfile do not load it.
"""

from __future__ import annotations

from pathlib import Path

from vagrantkit.vagrantfile.model import Vagrantfile, build
from vagrantkit.vagrantfile.source import Source


def read(path: Path) -> Vagrantfile:
    """Parse the Vagrantfile at ``path`` (OSError when it cannot be read)."""
    return build(Source.from_bytes(path.read_bytes()))


def parse_text(text: str) -> Vagrantfile:
    return build(Source.from_text(text))


__all__ = ["Source", "Vagrantfile", "build", "parse_text", "read"]
