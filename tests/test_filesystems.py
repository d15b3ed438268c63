"""vagrantkit.filesystems: one table says what sort of folder a file system makes and what a share is called."""

from __future__ import annotations

import pytest

from vagrantkit.filesystems import FILESYSTEMS, SHARE_NAMES, Kind, kind_of


@pytest.mark.parametrize(
    ("fs_type", "kind"),
    [
        ("ext4", Kind.DISK),
        ("overlay", Kind.DISK),
        ("tmpfs", Kind.MEMORY),
        ("nfs4", Kind.NFS),
        ("vboxsf", Kind.HYPERVISOR),
        ("9p", Kind.HYPERVISOR),
        ("cifs", Kind.NETWORK),
        ("fuse.bindfs", Kind.FUSE),
        ("fuse.sshfs", Kind.FUSE),
        ("fuseblk", Kind.FUSE),
        ("proc", Kind.UNKNOWN),
        (None, Kind.UNKNOWN),
        ("", Kind.UNKNOWN),
    ],
)
def test_kind_of(fs_type: str | None, kind: Kind) -> None:
    assert kind_of(fs_type) is kind


def test_every_share_kind_has_a_name_and_nothing_on_the_guest_alone_has_one() -> None:
    shares = {Kind.NFS, Kind.HYPERVISOR, Kind.NETWORK}
    for fs_type, (kind, name) in FILESYSTEMS.items():
        assert (name is not None) == (kind in shares or fs_type == "fuse.sshfs"), fs_type
    assert SHARE_NAMES["vboxsf"] == "VirtualBox shared folder (vboxsf)"
    assert "ext4" not in SHARE_NAMES and "tmpfs" not in SHARE_NAMES
