"""The host side of op ``edit``: change a file in a shared folder the way an editor saves it.

The runner, in the guest, asks for one edit at a time (``{"edit": {"target", "kind", "path", "n"}}``)
and then stats the file until it sees the change; :class:`HostEditor` makes the change in the host
folder behind that target and answers ``{"ok": true}``. Only the
runner's own scratch folder is ever touched: the path is relative to it and may not leave it.
The answer goes back once the change is written (the server reads what the host's page cache holds).

Kinds (:data:`vagrantkit.bench.runner.EDIT_KINDS`):

- ``write``: in place, as editors that truncate and rewrite do (nano, most IDEs' plain save);
- ``replace``: a temporary file renamed over the old one, as vim (``backupcopy=no``), VS Code's and
  JetBrains' "safe write" do: a new inode under the old name;
- ``create``: a new module (a new file a glob must find);
- ``delete``: the file removed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from vagrantkit.bench import runner as bench_runner


class HostEditor:
    """Answers the runner's edit requests for the targets that have a host side.

    Args:
        folders: For each such target's label, the host folder its guest path shows.
        run_id: The run's scratch id (``--id``): the scratch folder is ``folder/.vagrantkit-bench-ID-LABEL``.
    """

    def __init__(self, folders: Mapping[str, Path], run_id: str) -> None:
        self.folders = dict(folders)
        self.run_id = run_id
        self.done = 0

    def labels(self) -> list[str]:
        return list(self.folders)

    def path_for(self, label: str, rel: str) -> Path:
        """The host path of ``rel`` in ``label``'s scratch folder.

        Raises:
            ValueError: An unknown label, or a path that would leave the scratch folder.
        """
        if label not in self.folders:
            raise ValueError(f"no host side for target {label!r}")
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or any(p in ("..", "") for p in parts):
            raise ValueError(f"path {rel!r} is not inside the scratch folder")
        return self.folders[label].joinpath(bench_runner.scratch_name(self.run_id, label), *parts)

    def __call__(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """One request from the runner (its ``control`` object) -> the answer it waits for."""
        edit = request.get("edit")
        if not isinstance(edit, Mapping):
            return {"ok": False, "error": f"unknown request {dict(request)!r}"}
        try:
            path = self.path_for(str(edit.get("target")), str(edit.get("path")))
            self._edit(str(edit.get("kind")), path, int(edit.get("n", 0)))
        except (OSError, ValueError) as exc:
            return {"ok": False, "error": str(exc)}
        self.done += 1
        return {"ok": True}

    @staticmethod
    def _edit(kind: str, path: Path, n: int) -> None:
        content = f"VALUE = {n + 1}  # edited on the host\n".encode()
        if kind in ("write", "create"):
            with path.open("wb" if kind == "write" else "xb") as handle:
                handle.write(content)
        elif kind == "replace":
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_bytes(content)
            os.replace(temporary, path)
        elif kind == "delete":
            path.unlink()
        else:
            raise ValueError(f"unknown edit kind {kind!r}")
