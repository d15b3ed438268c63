"""What to measure: the folders (targets) of one bench run, parsed and checked before anything runs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vagrantkit.bench.runner import LABEL, safe_label  # the runner accepts a label by the same rule
from vagrantkit.errors import InvalidValue

LABEL_RULE = "1-40 letters, digits, '_', '.', '+' or '-', starting with a letter or digit"


@dataclass(frozen=True)
class Target:
    """A folder to measure, under a short label."""

    label: str
    path: str
    source: str = ""  # what the guest's /proc/mounts says it mounts (a synced folder's server and share)

    def argument(self) -> str:
        """The runner's ``LABEL=PATH`` argument."""
        return f"{self.label}={self.path}"


def parse_local(values: Sequence[str], baseline: str | None) -> tuple[list[Target], str]:
    """``--local [LABEL=]PATH`` values -> checked targets and the baseline label.

    Raises:
        InvalidValue: A path that is not an existing folder, a bad or repeated label, or a
            ``--baseline`` that names no target. Nothing has been written.
    """
    targets: list[Target] = []
    for value in values:
        label, sep, path_text = value.partition("=")
        if not sep or not label or "/" in label or "\\" in label:
            # No label (or the '=' belongs to the path): the folder's name is the label.
            path_text = value
            label = safe_label(Path(path_text).expanduser().resolve().name)
        if not LABEL.fullmatch(label):
            raise InvalidValue("--local", value, f"LABEL=PATH with a LABEL of {LABEL_RULE}")
        if not path_text.strip():  # Path("") is the current folder: never measured by accident
            raise InvalidValue("--local", value, "a folder's path (LABEL=PATH or PATH), not an empty one")
        path = Path(path_text).expanduser()
        try:
            is_dir = path.is_dir()
        except OSError as exc:  # a folder we may not even look into
            raise InvalidValue("--local", value, f"a folder this user can read ({exc.strerror})") from None
        if not is_dir:
            raise InvalidValue("--local", value, "an existing folder (LABEL=PATH or PATH)")
        if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
            raise InvalidValue(
                "--local", value, "a folder this user can read and write (bench makes its scratch folder there)"
            )
        if any(t.label == label for t in targets):
            raise InvalidValue("--local", value, f"one folder per label; {label!r} is already used")
        targets.append(Target(label, str(path.resolve())))
    if not targets:
        raise InvalidValue("--local", "", "at least one folder")
    chosen = baseline if baseline is not None else targets[0].label
    if chosen not in [t.label for t in targets]:
        raise InvalidValue("--baseline", baseline, "one of the labels: " + ", ".join(t.label for t in targets))
    return targets, chosen
