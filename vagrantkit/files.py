"""Writing user files safely: never overwrite without force, keep a backup, write atomically."""

from __future__ import annotations

import enum
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from vagrantkit.errors import VagrantkitError


class Action(str, enum.Enum):
    CREATE = "create"
    IDENTICAL = "identical"
    OVERWRITE = "overwrite"


@dataclass(frozen=True)
class FileChange:
    """One file `init` wants to write, and what writing it means."""

    path: Path
    content: str
    action: Action
    backup: Path | None = None


def plan(path: Path, content: str) -> FileChange:
    """Compare ``content`` with what is at ``path`` now.

    A symlink is a file that exists, whether it points anywhere or not: one that dangles (or
    loops) has nothing to compare, so writing there overwrites it.
    """
    if path.is_symlink() and not path.exists():
        return FileChange(path, content, Action.OVERWRITE)
    if not path.exists():
        return FileChange(path, content, Action.CREATE)
    if path.is_dir():
        raise VagrantkitError(f"{path} is a folder; a file is needed there")
    try:
        same = path.read_bytes() == content.encode("utf-8")
    except OSError as exc:
        raise VagrantkitError(f"cannot read {path}: {exc.strerror}") from exc
    return FileChange(path, content, Action.IDENTICAL if same else Action.OVERWRITE)


def backup_path(path: Path) -> Path:
    """A free name like ``Vagrantfile.20261125-071615.bak`` (no ':' so it works on Windows)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.{stamp}.bak")
    n = 1
    while candidate.exists() or candidate.is_symlink():
        candidate = path.with_name(f"{path.name}.{stamp}-{n}.bak")
        n += 1
    return candidate


def _temporary(path: Path, suffix: str = ".tmp") -> Path:
    """A new empty file next to ``path`` (same folder, so a rename onto ``path`` is atomic)."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    return Path(name)


def _ready(tmp: Path, path: Path) -> None:
    """Make the written ``tmp`` fit to replace ``path``: on the disk, with the mode ``path`` has (or would get)."""
    with tmp.open("ab") as handle:
        os.fsync(handle.fileno())
    if path.exists():
        shutil.copymode(path, tmp)
    else:
        tmp.chmod(0o666 & ~_umask())


@contextmanager
def replacing(path: Path, *, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary file next to ``path`` to write; renamed over ``path`` when the block succeeds.

    A crash or a full disk leaves either the old file or the new one, never half of one. The
    file keeps the mode of the one it replaces; a new file gets the usual mode (0666 less the
    umask), not the private 0600 of a temporary file. ``suffix`` ends the temporary name, for
    writers that choose a format by it (matplotlib).
    """
    tmp = _temporary(path, suffix)
    try:
        yield tmp
        _ready(tmp, path)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it
    os.umask(mask)
    return mask


def atomic_write(path: Path, content: str) -> None:
    """Write ``content`` (UTF-8) to ``path`` through :func:`replacing`."""
    with replacing(path) as tmp:
        tmp.write_bytes(content.encode("utf-8"))


@contextmanager
def reporting_write_errors(path: Path, hint: str | None = None) -> Iterator[None]:
    """Turn an OSError in the block into an error message naming ``path`` and why."""
    try:
        yield
    except OSError as exc:
        raise VagrantkitError(f"cannot write {path}: {exc.strerror or exc}", hint=hint) from exc


_WRITE_HINT = "Check that the folder exists, is a folder and is writable, and that the disk has room."


def apply(changes: list[FileChange], *, force: bool) -> list[FileChange]:
    """Write the changes: all of them or none (nothing at all when one would overwrite without ``force``).

    Every new text is first written to a temporary file next to its target and synced; only when
    all are on the disk are the old files backed up and the temporary files renamed over them.
    When a step fails (a full disk, a rename refused), what was renamed is put back from its
    backup (or removed, if it was new), and the backups and temporary files go: the folder is as
    it was. A Vagrantfile without the answers it was rendered from, or the reverse, never stays.

    Raises:
        VagrantkitError: A file exists with other content and ``force`` is false (nothing is
            written), or a file cannot be written (the message names it and why; nothing is written).
    """
    blocked = [c for c in changes if c.action is Action.OVERWRITE]
    if blocked and not force:
        names = ", ".join(c.path.name for c in blocked)
        raise VagrantkitError(
            f"{names} already {'exist' if len(blocked) > 1 else 'exists'} in {blocked[0].path.parent} "
            "and differs from what init would write",
            hint="Nothing was written. Use --dry-run to see the new file, or --force to replace it "
            "(the old file is kept as a timestamped backup).",
        )
    writes = [c for c in changes if c.action is not Action.IDENTICAL]
    staged: dict[Path, Path] = {}  # target -> its temporary file, written and synced
    backups: dict[Path, Path] = {}  # target -> the backup of what it held
    renamed: list[FileChange] = []
    try:
        for change in writes:
            with reporting_write_errors(change.path, hint=_WRITE_HINT):
                change.path.parent.mkdir(parents=True, exist_ok=True)
                staged[change.path] = tmp = _temporary(change.path)
                tmp.write_bytes(change.content.encode("utf-8"))
                _ready(tmp, change.path)
        for change in writes:
            if change.action is Action.OVERWRITE:
                with reporting_write_errors(change.path, hint=_WRITE_HINT):
                    backup = backup_path(change.path)
                    # A symlink is kept as the link it was (where it pointed), not as a copy of its target.
                    shutil.copy2(change.path, backup, follow_symlinks=False)
                    backups[change.path] = backup
        for change in writes:
            with reporting_write_errors(change.path, hint=_WRITE_HINT):
                os.replace(staged[change.path], change.path)
            del staged[change.path]
            renamed.append(change)
    except BaseException as exc:
        kept = _undo(renamed, backups)
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        if kept and isinstance(exc, VagrantkitError):
            raise VagrantkitError(exc.message, hint=" ".join(filter(None, (exc.hint, kept)))) from exc
        raise
    return [FileChange(c.path, c.content, c.action, backups.get(c.path)) for c in changes]


def _undo(renamed: list[FileChange], backups: dict[Path, Path]) -> str:
    """Put back what ``renamed`` replaced and drop the other backups; say what could not be put back."""
    left = []
    for change in reversed(renamed):
        try:
            if change.path in backups:
                os.replace(backups[change.path], change.path)
                del backups[change.path]
            else:
                change.path.unlink()
        except OSError:
            left.append(change.path)
    for path, backup in backups.items():
        if path not in left:
            backup.unlink(missing_ok=True)
    if not left:
        return ""
    return "Could not put back: " + ", ".join(
        f"{path} (its old content is in {backups[path].name})" if path in backups else f"{path} (new)" for path in left
    )
