"""File-system types as /proc/mounts names them: what sort of folder each one is, and, for a folder
shared from the host, the name people know it by. bench classifies its targets with it; doctor's
Django checks tell from it whether a project sits on a share."""

from __future__ import annotations

import enum
from collections.abc import Mapping


class Kind(str, enum.Enum):
    """What sort of folder a file system makes."""

    DISK = "disk"
    MEMORY = "memory"
    NFS = "nfs"
    HYPERVISOR = "hypervisor share"
    FUSE = "fuse"
    NETWORK = "network share"
    UNKNOWN = "unknown"


_DISKS = ("ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "apfs", "hfs", "ntfs", "refs", "overlay")

# type -> (kind, the share's name for people; None for a folder that is not shared from the host)
FILESYSTEMS: Mapping[str, tuple[Kind, str | None]] = {
    **{name: (Kind.DISK, None) for name in _DISKS},
    "tmpfs": (Kind.MEMORY, None),
    "ramfs": (Kind.MEMORY, None),
    "nfs": (Kind.NFS, "NFS"),
    "nfs4": (Kind.NFS, "NFS"),
    "vboxsf": (Kind.HYPERVISOR, "VirtualBox shared folder (vboxsf)"),
    "9p": (Kind.HYPERVISOR, "9p (virtio-9p) share"),
    "virtiofs": (Kind.HYPERVISOR, "virtiofs share"),
    "prl_fs": (Kind.HYPERVISOR, "Parallels shared folder"),
    "vmhgfs": (Kind.HYPERVISOR, "VMware shared folder (hgfs)"),
    "fuse.vmhgfs-fuse": (Kind.HYPERVISOR, "VMware shared folder (hgfs)"),
    "cifs": (Kind.NETWORK, "SMB share (cifs)"),
    "smb3": (Kind.NETWORK, "SMB share"),
    "smbfs": (Kind.NETWORK, "SMB share (smbfs)"),
    "fuse.sshfs": (Kind.FUSE, "sshfs mount"),
}

#: The file systems of folders shared from a host into a guest, with the name users know them by.
SHARE_NAMES: Mapping[str, str] = {fs: name for fs, (_, name) in FILESYSTEMS.items() if name is not None}


def kind_of(fs_type: str | None) -> Kind:
    """Classify a file-system type as /proc/mounts names it (``ext4``, ``fuse.bindfs``, ``vboxsf``...)."""
    if not fs_type:
        return Kind.UNKNOWN
    if fs_type in FILESYSTEMS:
        return FILESYSTEMS[fs_type][0]
    if fs_type == "fuse" or fs_type.startswith(("fuse.", "fuseblk")):
        return Kind.FUSE
    return Kind.UNKNOWN
