"""The host-facts object: what it computes from the primitives (which, WSL, names, paths), and the real one."""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

import pytest

from tests.doctor.fakes import FakeHost, linux_host, windows_host, wsl_host
from vagrantkit.doctor.core import find_vagrantfile
from vagrantkit.errors import InvalidEnvironment
from vagrantkit.host import OS, LocalHost


def test_windows_which_uses_pathext_and_is_case_insensitive() -> None:
    host = windows_host()
    assert host.which("vagrant") == r"C:\Program Files\Vagrant\bin\vagrant.exe"
    assert host.which("VAGRANT.EXE") == r"C:\Program Files\Vagrant\bin\VAGRANT.EXE"
    assert host.which("VBoxManage") is None  # VirtualBox is not on PATH in the preset
    assert host.env("path") == host.env("PATH") and host.env("programfiles") == r"C:\Program Files"


def test_windows_paths_and_vagrant_home_follow_the_host_flavour() -> None:
    host = windows_host()
    assert str(host.vagrant_home()) == r"C:\Users\dev\.vagrant.d"
    moved = windows_host(environ={"USERPROFILE": r"C:\Users\dev", "VAGRANT_HOME": r"D:\vagrant"})
    assert str(moved.vagrant_home() / "nfspaths") == r"D:\vagrant\nfspaths"


@pytest.mark.parametrize(
    ("version", "name"),
    [("10.0.19045", "Windows 10 (10.0.19045)"), ("10.0.22631", "Windows 11 (10.0.22631)")],
)
def test_windows_11_is_told_from_10_by_its_build(version: str, name: str) -> None:
    assert windows_host(version=version).describe() == name


@pytest.mark.parametrize(
    ("release", "environ", "wsl"),
    [
        ("5.15.153.1-microsoft-standard-WSL2", {}, 2),
        ("4.4.0-19041-Microsoft", {"WSL_DISTRO_NAME": "Ubuntu"}, 1),
        ("6.8.0-45-generic", {}, None),
    ],
)
def test_wsl_version_comes_from_the_kernel_release(release: str, environ: dict[str, str], wsl: int | None) -> None:
    host = linux_host(release=release, environ={"PATH": "/usr/bin", **environ})
    assert host.wsl == wsl


def test_registry_values_are_read_from_reg_query_output() -> None:
    host = windows_host()
    host.fake_runner.answers[r"reg query HKLM\SOFTWARE\Oracle\VirtualBox /v InstallDir"] = (
        "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Oracle\\VirtualBox\r\n"
        "    InstallDir    REG_SZ    D:\\Apps\\VirtualBox\\\r\n\r\n"
    )
    assert host.registry_value(r"HKLM\SOFTWARE\Oracle\VirtualBox", "InstallDir") == "D:\\Apps\\VirtualBox\\"
    assert host.registry_value(r"HKLM\SOFTWARE\Nothing", "X") is None


def test_linux_name_comes_from_os_release() -> None:
    assert wsl_host().describe() == "Ubuntu 24.04.1 LTS (kernel 5.15.153.1-microsoft-standard-WSL2, WSL 2)"


def test_local_host_describes_this_machine() -> None:
    host = LocalHost()
    assert host.os is {"Linux": OS.LINUX, "Darwin": OS.MACOS, "Windows": OS.WINDOWS}[platform.system()]
    assert host.which("python3") == shutil.which("python3")
    assert host.output(["definitely-not-a-program-vk"]) is None
    if host.os is OS.LINUX:
        pretty = next(
            line.split("=", 1)[1].strip('"')
            for line in Path("/etc/os-release").read_text().splitlines()
            if line.startswith("PRETTY_NAME=")
        )
        assert host.describe() == f"{pretty} (kernel {platform.release()})"
        assert host.uid == os.geteuid()


def test_vagrantfile_is_found_upward_like_vagrant_does(tmp_path: Path) -> None:
    (tmp_path / "Vagrantfile").write_text("")
    deep = tmp_path / "app" / "src"
    deep.mkdir(parents=True)
    host = linux_host()
    assert find_vagrantfile(host, deep) == tmp_path / "Vagrantfile"


def test_vagrant_cwd_and_vagrant_vagrantfile_are_honoured(tmp_path: Path) -> None:
    (tmp_path / "vm").mkdir()
    (tmp_path / "vm" / "Devfile").write_text("")
    (tmp_path / "Vagrantfile").write_text("")
    env = {"PATH": "/usr/bin", "VAGRANT_CWD": str(tmp_path / "vm"), "VAGRANT_VAGRANTFILE": "Devfile"}
    host: FakeHost = linux_host(environ=env)
    assert find_vagrantfile(host, tmp_path) == tmp_path / "vm" / "Devfile"
    only_name = linux_host(environ={"PATH": "/usr/bin", "VAGRANT_VAGRANTFILE": "Devfile"})
    assert find_vagrantfile(only_name, tmp_path / "vm") == tmp_path / "vm" / "Devfile"
    with pytest.raises(InvalidEnvironment, match=r"^VAGRANT_VAGRANTFILE=Devfile: no file of that name in "):
        find_vagrantfile(only_name, tmp_path)  # a plain Vagrantfile no longer counts
