"""Pending changes: merged per path, mapped to the guest, collapsed into folders past the limit."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from vagrantkit.watch.changes import BURST, Batch, Folder, Pending, to_guest
from vagrantkit.watch.core import folders_from_mounts

ADDED, MODIFIED, DELETED = 1, 2, 3
FOLDERS = [
    Folder(Path("/home/me/proj"), PurePosixPath("/vagrant")),
    Folder(Path("/home/me/proj/assets"), PurePosixPath("/srv/assets")),
]


def test_a_host_path_maps_to_the_innermost_synced_folder_and_outside_paths_to_none() -> None:
    assert to_guest(FOLDERS, "/home/me/proj/app/views.py") == (FOLDERS[0], PurePosixPath("/vagrant/app/views.py"))
    assert to_guest(FOLDERS, "/home/me/proj/assets/a.css") == (FOLDERS[1], PurePosixPath("/srv/assets/a.css"))
    assert to_guest(FOLDERS, "/home/me/projx/a.py") is None
    assert to_guest(FOLDERS, "/etc/passwd") is None


def test_changes_to_one_path_merge_and_a_create_stays_a_create() -> None:
    pending = Pending(FOLDERS)
    pending.add([(ADDED, "/home/me/proj/new.py"), (MODIFIED, "/home/me/proj/new.py"), (MODIFIED, "/home/me/proj/a.py")])
    pending.add([(DELETED, "/home/me/proj/gone.py"), (ADDED, "/home/me/proj/gone.py"), (MODIFIED, "/etc/hosts")])
    batch = pending.take(timeout=0)
    assert batch is not None
    assert batch.changes == [
        ["modified", "/vagrant/a.py"],
        ["added", "/vagrant/gone.py"],
        ["added", "/vagrant/new.py"],
    ]
    assert pending.ignored == 1
    assert pending.take(timeout=0) is None


def test_past_the_limit_paths_become_their_folders_then_the_roots() -> None:
    pending = Pending(FOLDERS, limit=10)
    pending.add([(MODIFIED, f"/home/me/proj/pkg{i % 3}/m{i}.py") for i in range(11)], when=0.0)
    batch = pending.take(timeout=0)
    assert batch is not None and batch.changes == []
    assert batch.folders == ["/vagrant/pkg0", "/vagrant/pkg1", "/vagrant/pkg2"]
    pending.add([(MODIFIED, f"/home/me/proj/d{i}/m.py") for i in range(30)], when=10.0)
    batch = pending.take(timeout=0)
    assert batch is not None and batch.trees == ["/vagrant"] and batch.folders == [] and len(pending) == 0


def test_a_burst_goes_as_folders_while_it_lasts_even_when_each_batch_is_small() -> None:
    pending = Pending(FOLDERS, limit=10)
    for i in range(4):  # 4 x 3 changes within BURST seconds: 12 > 10
        pending.add([(MODIFIED, f"/home/me/proj/p/m{i}{j}.py") for j in range(3)], when=100.0 + i * 0.01)
    batch = pending.take(timeout=0)
    assert batch is not None and batch.folders == ["/vagrant/p"]
    pending.add([(MODIFIED, "/home/me/proj/q/x.py")], when=100.0 + 2 * BURST)
    batch = pending.take(timeout=0)
    assert batch is not None and batch.changes == [["modified", "/vagrant/q/x.py"]], "the burst is over"


def test_an_undelivered_batch_goes_back_and_keeps_its_age() -> None:
    pending = Pending(FOLDERS)
    pending.add([(MODIFIED, "/home/me/proj/a.py")], when=5.0)
    batch = pending.take(timeout=0)
    assert batch is not None
    pending.add([(MODIFIED, "/home/me/proj/b.py")], when=7.0)
    pending.put_back(batch)
    again = pending.take(timeout=0)
    assert again is not None
    assert again.changes == [["modified", "/vagrant/a.py"], ["modified", "/vagrant/b.py"]]
    assert again.since == 5.0


def test_a_create_put_back_stays_a_create_when_the_file_changed_meanwhile() -> None:
    pending = Pending(FOLDERS)
    pending.add([(ADDED, "/home/me/proj/new.py")], when=1.0)
    batch = pending.take(timeout=0)
    assert batch is not None
    pending.add([(MODIFIED, "/home/me/proj/new.py")], when=2.0)
    pending.put_back(batch)
    again = pending.take(timeout=0)
    assert again is not None and again.changes == [["added", "/vagrant/new.py"]], "its folder must still be looked at"


def test_a_batch_message_carries_only_what_it_has() -> None:
    assert Batch(changes=[["added", "/vagrant/x"]]).message(3) == {"id": 3, "changes": [["added", "/vagrant/x"]]}
    assert Batch(trees=["/vagrant"]).message(4) == {"id": 4, "trees": ["/vagrant"]}


def test_the_guests_nfs_mounts_of_host_folders_become_the_folders_watched(tmp_path: Path) -> None:
    mounts = (
        "/dev/vda1 / ext4 rw 0 0\n"
        f"192.168.56.1:{tmp_path} /vagrant nfs rw,vers=3,nolock 0 0\n"
        "192.168.56.1:/not/here /srv nfs rw,vers=3 0 0\n"
        "vagrant /mnt/vbox vboxsf rw 0 0\n"
    )
    found = folders_from_mounts(mounts, lambda exported: Path(exported) if Path(exported).is_dir() else None)
    assert found == [Folder(tmp_path, PurePosixPath("/vagrant"))]
