"""`vagrantkit init --sync smb`: Vagrant's own SMB folder, its answers saved, and what is refused or warned of."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli, build_file_tree
from tests.doctor.fakes import linux_host, macos_host, windows_host
from vagrantkit.render.init import init


def folder_lines(project: Path) -> list[str]:
    """The synced folder's call as rendered, one stripped line each."""
    lines = (project / "Vagrantfile").read_text().splitlines()
    start = next(n for n, line in enumerate(lines) if "config.vm.synced_folder" in line)
    return [line.strip() for line in lines[start : start + 3]]


def test_smb_renders_vagrants_smb_folder_with_smb3_and_leaves_vagrants_own_options_to_it(
    tmp_path: Path, cli_runner: Cli
) -> None:
    result = cli_runner("init", str(tmp_path), "--sync", "smb")
    assert result.exit_code == 0, result.stderr
    assert folder_lines(tmp_path) == [
        'config.vm.synced_folder ".", "/vagrant",',
        'type: "smb",',
        'mount_options: ["vers=3.02"]',
    ]
    text = (tmp_path / "Vagrantfile").read_text()
    # Vagrant's smb cap adds uid=/gid= (of the SSH user), mfsymlinks, sec=ntlmssp and the credentials
    # file itself: given here too, uid/gid make it warn at every mount.
    assert not any(o in text for o in ('"uid=', '"gid=', '"mfsymlinks"', '"sec=', "credentials="))
    assert 'config.vm.network "private_network", type: "dhcp"' in text
    assert "winnfsd" not in text and "nfs" not in text.replace("nfs|", "")
    assert "smb_password:" not in text.replace('smb_password: ENV["VAGRANT_SMB_PASSWORD"]', "")
    for why in ("Administrator", "net config server /autodisconnect:-1", "Minshall+French", "SMB1"):
        assert why in text, why
    assert 'sync = "smb"' in (tmp_path / "vagrantkit.toml").read_text()


def test_the_saved_sync_is_read_back_and_switching_it_switches_the_default_mount_options(
    tmp_path: Path, cli_runner: Cli
) -> None:
    assert cli_runner("init", str(tmp_path), "--sync", "smb").exit_code == 0
    again = cli_runner("init", str(tmp_path))
    assert again.exit_code == 0
    assert [line.split()[0] for line in again.stderr.splitlines() if not line.startswith("warning: ")] == [
        "identical",
        "identical",
    ]
    assert cli_runner("init", str(tmp_path), "--sync", "nfs", "--force").exit_code == 0
    assert folder_lines(tmp_path)[1:] == ['type: "nfs",', "nfs_version: 3,"]
    assert 'mount_options: ["nolock", "actimeo=1"]' in (tmp_path / "Vagrantfile").read_text()
    own = ["--mount-option", "vers=3.1.1", "--mount-option", "nobrl"]
    assert cli_runner("init", str(tmp_path), "--sync", "smb", *own, "--force").exit_code == 0
    assert cli_runner("init", str(tmp_path), "--sync", "smb", "--memory", "4096", "--force").exit_code == 0
    text = (tmp_path / "Vagrantfile").read_text()
    assert 'mount_options: ["vers=3.1.1", "nobrl"]' in text, "the user's own options stay"
    assert "#   vers=3.1.1      SMB 3.1.1 (Windows 10 and later hosts)" in text
    assert "#   nobrl           no byte-range locks sent to the host" in text


@pytest.mark.parametrize("option", ["vers=1.0", "vers=1"])
def test_smb1_is_refused_unless_forced(option: str, tmp_path: Path, cli_runner: Cli) -> None:
    result = cli_runner("init", str(tmp_path), "--sync", "smb", "--mount-option", option)
    assert result.exit_code == 2
    assert f"Invalid value for --mount-option: {option!r}. Allowed: an SMB version from 2.0 on" in result.stderr
    assert not (tmp_path / "Vagrantfile").exists() and not (tmp_path / "vagrantkit.toml").exists()
    forced = cli_runner("init", str(tmp_path), "--sync", "smb", "--mount-option", option, "--force")
    assert forced.exit_code == 0
    assert f"#   {option:<15} SMB1, rendered with --force" in (tmp_path / "Vagrantfile").read_text()


def test_nfs_only_options_are_not_judged_for_smb(tmp_path: Path) -> None:
    # vers= names the SMB version (refused for NFS: Vagrant adds its own), and nolock is NFS's business.
    result = init(tmp_path, {"sync": "smb", "mount_options": ("vers=3.0",)}, host=windows_host())
    assert result.warnings == ()
    assert 'mount_options: ["vers=3.0"]' in result.vagrantfile


@pytest.mark.parametrize(
    ("host", "warned"), [(linux_host(), True), (windows_host(), False), (macos_host(), False)], ids=str
)
def test_smb_warns_only_on_a_linux_host_where_vagrant_cannot_serve_it(
    host: object, warned: bool, tmp_path: Path
) -> None:
    result = init(tmp_path, {"sync": "smb"}, dry_run=True, host=host)  # type: ignore[arg-type]
    expected = (
        "--sync smb: Vagrant serves SMB folders from Windows and macOS hosts only, not from this Linux host: "
        'here `vagrant up` stops ("your machine doesn\'t support SMB"). The file is fine for the others; '
        "on this host use --sync nfs."
    )
    assert result.warnings == ((expected,) if warned else ())
    assert init(tmp_path, {}, dry_run=True, host=host).warnings == ()  # type: ignore[arg-type]


def test_smb_with_libvirt_says_where_it_can_work(tmp_path: Path) -> None:
    result = init(tmp_path, {"sync": "smb", "provider": "libvirt"}, dry_run=True, host=windows_host())
    assert result.warnings == (
        "--sync smb with --provider libvirt: vagrant-libvirt runs on Linux hosts, where Vagrant cannot serve SMB; "
        "there use --sync nfs (mounted over libvirt's management network).",
    )
    assert "private_network" not in result.vagrantfile
    assert "vagrant-libvirt mounts SMB over the management network" in result.vagrantfile


def test_a_saved_watch_is_named_in_the_file_when_sync_becomes_smb(tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"vagrantkit.toml": "[init]\nwatch = true\n"})
    result = cli_runner("init", str(tmp_path), "--sync", "smb")
    assert result.exit_code == 2
    assert f"Error: {tmp_path / 'vagrantkit.toml'}: watch: invalid value True. Allowed: off with --sync smb" in (
        result.stderr
    )
    assert not (tmp_path / "Vagrantfile").exists()


def test_a_uid_of_ones_own_warns_that_vagrant_adds_it_already(tmp_path: Path) -> None:
    result = init(tmp_path, {"sync": "smb", "mount_options": ("vers=3.02", "uid=1001")}, host=macos_host())
    assert result.warnings == (
        "'uid=1001' in mount options: Vagrant already adds uid= and gid= of the folder's owner (the guest's "
        "vagrant user) to an SMB mount, and warns at every mount when mount_options name them.",
    )
    assert 'mount_options: ["vers=3.02", "uid=1001"]' in result.vagrantfile  # rendered all the same
