"""Is the Django project on a folder shared with the host (the dev-server traps that follow)?

Two sides, both read without touching the share:

* In the guest: the mount table (``/proc/mounts``, through an injectable reader) says the project
  folder is on vboxsf, NFS, 9p, virtiofs, SMB or a VMware/Parallels share.
* On the host: the Vagrantfile syncs the folder holding the project into the guest with a sharing
  type (VirtualBox's default ``/vagrant`` share included), not with ``rsync`` (a copy on the guest's disk).

What follows from it: inotify in the guest never hears of edits made on the host through such a
share, so only a polling reloader notices them (Django's StatReloader, which stats every module
once a second, each stat a round trip over the share; Watchman, which Django prefers when
``pywatchman`` is installed, relies on inotify and misses them); and Python writes its ``.pyc``
files next to the sources, onto the share, unless ``PYTHONPYCACHEPREFIX`` points elsewhere.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from vagrantkit.filesystems import SHARE_NAMES

if TYPE_CHECKING:
    from vagrantkit.vagrantfile import Vagrantfile

# Vagrant synced-folder types that share (rather than copy, like rsync) the host's folder.
SHARING_TYPES: Mapping[str, str] = {
    "virtualbox": "VirtualBox shared folder (vboxsf)",
    "nfs": "NFS",
    "smb": "SMB share",
    "9p": "9p (virtio-9p) share",
    "virtiofs": "virtiofs share",
    "vmware": "VMware shared folder (hgfs)",
    "parallels": "Parallels shared folder",
}
# The default type of a synced folder, by provider (Vagrant picks the provider's own share).
_DEFAULT_TYPE_BY_PROVIDER = {"virtualbox": "virtualbox", "vmware_desktop": "vmware", "parallels": "parallels"}


class Side(str, enum.Enum):
    """Where the fact comes from."""

    GUEST = "guest"  # the mount table of the machine doctor runs on
    HOST = "host"  # the Vagrantfile


@dataclass(frozen=True)
class Mount:
    """One line of ``/proc/mounts``."""

    device: str
    mount_point: str
    fstype: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class SyncedFolder:
    """A ``config.vm.synced_folder`` of a Vagrantfile, as written (literals only).

    Attributes:
        line: 1-based line in the Vagrantfile (0: Vagrant's implicit ``/vagrant`` share).
        host: Host path as written (relative to the Vagrantfile's folder).
        guest: Guest path.
        type: The ``type:`` option, or None for the provider's default.
        disabled: ``disabled: true``.
    """

    line: int
    host: str
    guest: str
    type: str | None
    disabled: bool = False


@dataclass(frozen=True)
class SharedProject:
    """The project folder is on a share.

    Attributes:
        side: Seen in the guest's mount table, or configured in the Vagrantfile.
        fstype: ``vboxsf``/``nfs``/... (guest) or the synced-folder type (host).
        kind: The share's name for people (``NFS``, ``VirtualBox shared folder (vboxsf)``).
        where: ``host:/export on /vagrant`` (guest), ``Vagrantfile:12`` (host).
        guest_path: Where the project is in the guest.
        pycache_prefix: ``PYTHONPYCACHEPREFIX`` in the guest's environment, if set (guest side only).
        pycache_on_share: True when ``.pyc`` files land on the share (no prefix, or a prefix on the share).
    """

    side: Side
    fstype: str
    kind: str
    where: str
    guest_path: str
    pycache_prefix: str | None
    pycache_on_share: bool


def read_proc_mounts() -> str | None:
    """The text of ``/proc/mounts``, or None where there is none (macOS, Windows)."""
    try:
        return Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


_OCTAL = re.compile(r"\\([0-7]{3})")


def parse_mounts(text: str) -> list[Mount]:
    """Parse ``/proc/mounts``; spaces and tabs in paths come escaped as ``\\040`` and ``\\011``."""
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        device, point, fstype, options = (_OCTAL.sub(lambda m: chr(int(m.group(1), 8)), f) for f in fields[:4])
        mounts.append(Mount(device, point, fstype, tuple(options.split(","))))
    return mounts


def mount_of(path: PurePosixPath, mounts: list[Mount]) -> Mount | None:
    """The mount ``path`` lives on: the longest mount point above it (the last one mounted wins)."""
    best: Mount | None = None
    for mount in mounts:
        point = PurePosixPath(mount.mount_point)
        if (path == point or point in path.parents) and (
            best is None or len(point.parts) >= len(PurePosixPath(best.mount_point).parts)
        ):
            best = mount
    return best


def _on(path: PurePosixPath, mount: Mount, mounts: list[Mount]) -> bool:
    return mount_of(path, mounts) == mount


def guest_share(
    project: Path,
    read_mounts: Callable[[], str | None] = read_proc_mounts,
    environ: Mapping[str, str] | None = None,
) -> SharedProject | None:
    """The share the project folder is on, seen from inside the guest; None when it is on a local disk.

    Args:
        project: The project folder (resolved through symlinks before the lookup).
        read_mounts: Returns the mount table's text, or None where there is none.
        environ: The environment Python runs with in the guest (default: this process's).
    """
    text = read_mounts()
    if text is None:
        return None
    mounts = parse_mounts(text)
    resolved = PurePosixPath(project.resolve().as_posix())
    mount = mount_of(resolved, mounts)
    if mount is None or mount.fstype not in SHARE_NAMES:
        return None
    env = os.environ if environ is None else environ
    prefix = env.get("PYTHONPYCACHEPREFIX") or None
    on_share = prefix is None or _on(PurePosixPath(prefix), mount, mounts)
    if env.get("PYTHONDONTWRITEBYTECODE"):
        on_share = False  # nothing is written (every start compiles every module instead)
    return SharedProject(
        side=Side.GUEST,
        fstype=mount.fstype,
        kind=SHARE_NAMES[mount.fstype],
        where=f"{mount.device} on {mount.mount_point}",
        guest_path=str(resolved),
        pycache_prefix=prefix,
        pycache_on_share=on_share,
    )


# --- the Vagrantfile --------------------------------------------------------------------


def synced_folders(model: Vagrantfile) -> list[SyncedFolder]:
    """The synced folders a Vagrantfile declares with literal paths and type (read from the one parsed
    model, :mod:`vagrantkit.vagrantfile`; a variable or a computed type cannot be read: left out)."""
    from vagrantkit.vagrantfile.syntax import COMPUTED

    found = []
    for folder in model.folders:
        host, guest, kind = folder.host, folder.guest, folder.type
        if isinstance(host, str) and isinstance(guest, str) and kind is not COMPUTED and folder.disabled is not None:
            found.append(SyncedFolder(folder.line, host, guest, kind, bool(folder.disabled)))
    return found


def host_share(project: Path, vagrantfile: Path, model: Vagrantfile | None = None) -> SharedProject | None:
    """The synced folder that shares the project into the guest, as the Vagrantfile configures it.

    Args:
        project: The project folder on the host.
        vagrantfile: The Vagrantfile (host paths in it are relative to its folder).
        model: The parsed Vagrantfile when the caller has it (default: read it here).

    Returns:
        None when no sharing synced folder holds the project (none, ``rsync``, or disabled).
    """
    if model is None:
        from vagrantkit.vagrantfile import read

        try:
            model = read(vagrantfile)
        except OSError:
            return None
    folders = synced_folders(model)
    if not any(PurePosixPath(f.guest) == PurePosixPath("/vagrant") for f in folders):
        folders.insert(0, SyncedFolder(0, ".", "/vagrant", None))  # Vagrant's implicit share
    configured = [p.name for p in model.providers]
    provider = configured[0] if configured else "virtualbox"
    if not isinstance(provider, str):
        return None  # a provider named by a variable: its default share is unknown
    base = vagrantfile.parent.resolve()
    target = project.resolve()
    best: tuple[SyncedFolder, Path] | None = None
    for folder in folders:
        if folder.disabled:
            continue
        host = (base / Path(os.path.expanduser(folder.host))).resolve()
        if (target == host or host in target.parents) and (best is None or len(host.parts) > len(best[1].parts)):
            best = (folder, host)
    if best is None:
        return None
    folder, host = best
    kind = folder.type or _DEFAULT_TYPE_BY_PROVIDER.get(provider)
    if kind is None or kind not in SHARING_TYPES:
        return None  # rsync copies, or the provider's default is not known here
    inside = PurePosixPath(folder.guest, *target.relative_to(host).parts)
    where = f"{vagrantfile.name}:{folder.line}" if folder.line else f"{vagrantfile.name} (the default /vagrant share)"
    return SharedProject(
        side=Side.HOST,
        fstype=kind,
        kind=SHARING_TYPES[kind],
        where=where,
        guest_path=str(inside),
        pycache_prefix=None,
        pycache_on_share=True,
    )
