"""The host folder behind an NFS mount's source, WinNFSd's drive paths included (bench and watch use it)."""

from __future__ import annotations

from pathlib import Path

from vagrantkit.exports import export_of, exported_path, host_folder


def test_a_mount_source_names_its_exported_path() -> None:
    assert export_of("192.168.56.1:/C/Users/me/proj") == "/C/Users/me/proj"
    assert export_of("[fe80::1]:/home/me/proj") == "/home/me/proj"
    assert export_of("host.local:/srv/a:b") == "/srv/a:b"
    assert export_of("vagrant0") is None  # a 9p tag: no export
    assert export_of("/dev/sda1") is None


def test_winnfsds_drive_paths_are_windows_paths_on_a_windows_host() -> None:
    assert exported_path("/C/Users/me/proj", windows=True) == "C:\\Users\\me\\proj"
    assert exported_path("/d", windows=True) == "d:\\"
    assert exported_path("/home/me/proj", windows=True) == "/home/me/proj"  # no drive letter: as it is
    assert exported_path("/C/Users/me/proj", windows=False) == "/C/Users/me/proj"


def test_an_export_is_a_host_folder_only_when_that_folder_exists(tmp_path: Path) -> None:
    assert host_folder(str(tmp_path), windows=False) == tmp_path.resolve()
    assert host_folder(str(tmp_path / "gone"), windows=False) is None
    assert host_folder("/C/Users/me/proj", windows=True) is None  # no C: drive on this host
