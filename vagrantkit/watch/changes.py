"""Host changes on their way to the guest: mapped to guest paths, merged, bounded.

:class:`Pending` holds what the receiver has not acknowledged yet. Many changes to one path are
one change; past ``limit`` paths it keeps their folders instead (the receiver revalidates each
folder and its entries), and past ``limit`` folders the synced folders' roots (revalidated
recursively): a git checkout of 10,000 files costs a few messages and bounded memory, never a
queue that grows while the guest is away. The same happens to a burst (more than ``limit``
changes within :data:`BURST` seconds) even while every batch is delivered at once: for that
long, changes go as their folders.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath

# What watchfiles reports (watchfiles.Change: added=1, modified=2, deleted=3), by name.
KINDS = {1: "added", 2: "modified", 3: "deleted"}
LIMIT = 1000
BURST = 1.0  # seconds: the window a burst is counted in, and how long folder mode lasts after it


@dataclass(frozen=True)
class Folder:
    """A synced folder: the host folder and where the guest mounts it."""

    host: Path
    guest: PurePosixPath

    def guest_path(self, path: PurePath) -> PurePosixPath | None:
        """Where the guest sees host ``path``; None when it is not inside this folder."""
        try:
            rel = path.relative_to(self.host)
        except ValueError:
            return None
        return self.guest.joinpath(*rel.parts)


def to_guest(folders: Sequence[Folder], path: str | PurePath) -> tuple[Folder, PurePosixPath] | None:
    """The folder ``path`` is in (the innermost, when folders nest) and its guest path."""
    host = PurePath(path)
    found = [(f, g) for f in folders if (g := f.guest_path(host)) is not None]
    return max(found, key=lambda pair: len(pair[0].host.parts)) if found else None


@dataclass
class Batch:
    """One message's worth of changes, and when the oldest of them happened on the host."""

    changes: list[list[str]] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    trees: list[str] = field(default_factory=list)
    since: float = 0.0  # time.monotonic() of the oldest change

    def message(self, ident: int) -> dict[str, object]:
        message: dict[str, object] = {"id": ident}
        for key in ("changes", "folders", "trees"):
            if getattr(self, key):
                message[key] = getattr(self, key)
        return message

    @property
    def size(self) -> int:
        return len(self.changes) + len(self.folders) + len(self.trees)


class Pending:
    """Changes not yet delivered, safe to share between the watching and the sending thread."""

    def __init__(self, folders: Sequence[Folder], limit: int = LIMIT) -> None:
        self.folders = list(folders)
        self.limit = limit
        self._paths: dict[PurePosixPath, str] = {}
        self._folders: set[PurePosixPath] = set()
        self._trees: set[PurePosixPath] = set()
        self._since = 0.0
        self._recent: deque[tuple[float, int]] = deque()  # (when, how many) of the last BURST seconds
        self._burst_until = 0.0
        self._ready = threading.Condition()
        self.ignored = 0  # changes outside every synced folder

    def add(self, changes: Iterable[tuple[int, str]], when: float | None = None) -> None:
        """Take watchfiles' changes (kind number, host path), seen at ``when`` (time.monotonic())."""
        now = time.monotonic() if when is None else when
        changes = list(changes)
        with self._ready:
            self._recent.append((now, len(changes)))
            while self._recent and self._recent[0][0] < now - BURST:
                self._recent.popleft()
            if sum(n for _, n in self._recent) > self.limit:
                self._burst_until = now + BURST
            for number, path in changes:
                found = to_guest(self.folders, path)
                if found is None:
                    self.ignored += 1
                    continue
                _, guest = found
                if any(guest.is_relative_to(t) for t in self._trees):
                    continue
                if not self._count():
                    self._since = now
                if guest.parent in self._folders:
                    continue
                self._paths[guest] = _merge(self._paths.get(guest), KINDS.get(number, "modified"))
                if len(self._paths) > self.limit or now < self._burst_until:
                    self._collapse()
            self._ready.notify_all()

    def _collapse(self) -> None:
        """Too many paths: keep their folders; too many folders: the roots."""
        self._folders.update(p.parent for p in self._paths)
        self._paths.clear()
        if len(self._folders) > self.limit:
            roots = {f.guest for f in self.folders for d in self._folders if d.is_relative_to(f.guest)}
            self._trees.update(roots)
            self._folders.clear()

    def put_back(self, batch: Batch) -> None:
        """An undelivered batch goes back (the session dropped before its acknowledgement), older
        than anything that came meanwhile."""
        with self._ready:
            self._since = min(self._since, batch.since) if self._count() else batch.since
            self._trees.update(PurePosixPath(t) for t in batch.trees)
            self._folders.update(PurePosixPath(f) for f in batch.folders)
            for kind, path in batch.changes:
                guest = PurePosixPath(path)
                newer = self._paths.get(guest)
                self._paths[guest] = kind if newer is None else _merge(kind, newer)
            if len(self._paths) > self.limit:
                self._collapse()
            self._ready.notify_all()

    def take(self, timeout: float) -> Batch | None:
        """Everything pending, once there is something (None after ``timeout`` seconds of nothing)."""
        with self._ready:
            if not self._ready.wait_for(self._count, timeout):
                return None
            batch = Batch(
                changes=[[kind, str(path)] for path, kind in sorted(self._paths.items())],
                folders=sorted(str(f) for f in self._folders),
                trees=sorted(str(t) for t in self._trees),
                since=self._since,
            )
            self._paths.clear()
            self._folders.clear()
            self._trees.clear()
            return batch

    def _count(self) -> int:
        """What is pending (the caller holds the lock)."""
        return len(self._paths) + len(self._folders) + len(self._trees)

    def __len__(self) -> int:
        with self._ready:
            return self._count()


def _merge(previous: str | None, kind: str) -> str:
    """One path's pending kind after another change: a create or delete stays one (its folder must
    be revalidated), whatever came before or after."""
    if previous in (None, kind):
        return kind
    return "deleted" if kind == "deleted" else "added"
