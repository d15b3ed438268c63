"""Is the project on a share: the guest's mount table and the host's Vagrantfile."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from tests.conftest import Cli, build_file_tree, need
from tests.mounts import bindfs
from vagrantkit.django.sharedfolder import (
    SharedProject,
    Side,
    SyncedFolder,
    guest_share,
    host_share,
    mount_of,
    parse_mounts,
    read_proc_mounts,
    synced_folders,
)
from vagrantkit.vagrantfile import parse_text


def mounts_with(*lines: str) -> str:
    return "\n".join(["overlay / overlay rw,relatime 0 0", "proc /proc proc rw 0 0", *lines]) + "\n"


def test_project_on_vboxsf_is_found_with_pyc_on_the_share(tmp_path: Path) -> None:
    project = tmp_path / "vagrant" / "app"
    project.mkdir(parents=True)
    table = mounts_with(f"vagrant {tmp_path}/vagrant vboxsf rw,nodev,relatime,iocharset=utf8,uid=1000 0 0")
    found = guest_share(project, lambda: table, environ={})
    assert found == SharedProject(
        side=Side.GUEST,
        fstype="vboxsf",
        kind="VirtualBox shared folder (vboxsf)",
        where=f"vagrant on {tmp_path}/vagrant",
        guest_path=str(project),
        pycache_prefix=None,
        pycache_on_share=True,
    )


def test_pycache_prefix_on_the_guest_disk_keeps_pyc_off_the_share(tmp_path: Path) -> None:
    (tmp_path / "srv").mkdir()
    table = mounts_with(f"192.168.56.1:/home/me/app {tmp_path}/srv nfs rw,vers=3,nolock 0 0")
    local = guest_share(tmp_path / "srv", lambda: table, environ={"PYTHONPYCACHEPREFIX": "/home/vagrant/.cache/py"})
    on_share = guest_share(tmp_path / "srv", lambda: table, environ={"PYTHONPYCACHEPREFIX": f"{tmp_path}/srv/.pyc"})
    assert local is not None and on_share is not None
    assert (local.fstype, local.kind, local.pycache_on_share) == ("nfs", "NFS", False)
    assert (on_share.pycache_prefix, on_share.pycache_on_share) == (f"{tmp_path}/srv/.pyc", True)


def test_symlinked_project_is_resolved_and_escaped_spaces_are_decoded(tmp_path: Path) -> None:
    (tmp_path / "my share" / "app").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "my share" / "app")
    escaped = f"{tmp_path}/my share".replace(" ", "\\040")
    table = mounts_with(f"hostshare {escaped} 9p rw,trans=virtio 0 0")
    found = guest_share(tmp_path / "link", lambda: table, environ={})
    assert found is not None and found.fstype == "9p"
    assert found.guest_path == f"{tmp_path}/my share/app"


def test_a_local_disk_mounted_inside_the_share_is_not_the_share(tmp_path: Path) -> None:
    (tmp_path / "vagrant" / "node_modules").mkdir(parents=True)
    table = mounts_with(
        f"vagrant {tmp_path}/vagrant vboxsf rw 0 0",
        f"tmpfs {tmp_path}/vagrant/node_modules tmpfs rw 0 0",
    )
    assert guest_share(tmp_path / "vagrant" / "node_modules", lambda: table) is None
    assert guest_share(tmp_path / "vagrant", lambda: None) is None  # no mount table (macOS, Windows)


def test_the_real_mount_table_is_read_and_this_tmp_folder_is_not_a_share(tmp_path: Path) -> None:
    text = read_proc_mounts()
    if text is None:
        pytest.skip("no /proc/mounts on this OS")
    mounts = parse_mounts(text)
    assert mount_of(PurePosixPath(tmp_path.resolve().as_posix()), mounts) is not None
    assert guest_share(tmp_path, environ={}) is None


def test_vagrantfile_rendered_by_init_is_read_as_an_nfs_share(tmp_path: Path, cli_runner: Cli) -> None:
    result = cli_runner("init", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "Vagrantfile").read_text()
    assert synced_folders(parse_text(text)) == [SyncedFolder(22, ".", "/vagrant", "nfs")]
    (tmp_path / "shop").mkdir()
    found = host_share(tmp_path / "shop", tmp_path / "Vagrantfile")
    assert found == SharedProject(Side.HOST, "nfs", "NFS", "Vagrantfile:22", "/vagrant/shop", None, True)


def test_vagrant_default_share_counts_and_can_be_disabled(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"Vagrantfile": 'Vagrant.configure("2") do |config|\n  config.vm.box = "x"\nend\n'})
    found = host_share(tmp_path, tmp_path / "Vagrantfile")
    assert found is not None
    assert (found.fstype, found.where, found.guest_path) == (
        "virtualbox",
        "Vagrantfile (the default /vagrant share)",
        "/vagrant",
    )
    disabled = 'Vagrant.configure("2") do |config|\n  config.vm.synced_folder ".", "/vagrant", disabled: true\nend\n'
    build_file_tree(tmp_path, {"Vagrantfile": disabled})
    assert host_share(tmp_path, tmp_path / "Vagrantfile") is None


def test_the_deepest_synced_folder_wins_and_rsync_is_not_a_share(tmp_path: Path) -> None:
    vagrantfile = """\
Vagrant.configure("2") do |config|
  config.vm.synced_folder ".", "/vagrant", disabled: true
  # config.vm.synced_folder "src", "/commented", type: "nfs"
  config.vm.synced_folder "src", "/srv/src", :type => "smb",
    smb_username: "me"
  config.vm.synced_folder('src/static', '/srv/static', type: :rsync)
end
"""
    build_file_tree(tmp_path, {"Vagrantfile": vagrantfile, "src/app/models.py": "", "src/static/x.css": ""})
    assert synced_folders(parse_text(vagrantfile)) == [
        SyncedFolder(2, ".", "/vagrant", None, True),
        SyncedFolder(4, "src", "/srv/src", "smb"),
        SyncedFolder(6, "src/static", "/srv/static", "rsync"),
    ]
    found = host_share(tmp_path / "src" / "app", tmp_path / "Vagrantfile")
    assert found is not None and (found.fstype, found.where, found.guest_path) == (
        "smb",
        "Vagrantfile:4",
        "/srv/src/app",
    )
    assert host_share(tmp_path / "src" / "static", tmp_path / "Vagrantfile") is None


def test_libvirt_default_type_is_not_guessed(tmp_path: Path) -> None:
    vagrantfile = 'Vagrant.configure("2") do |config|\n  config.vm.provider :libvirt do |lv|\n  end\nend\n'
    build_file_tree(tmp_path, {"Vagrantfile": vagrantfile})
    assert host_share(tmp_path, tmp_path / "Vagrantfile") is None
    assert host_share(tmp_path, tmp_path / "missing" / "Vagrantfile") is None


def test_a_real_fuse_mount_with_a_space_is_found_in_the_real_mount_table(tmp_path: Path) -> None:
    need("bindfs")
    need("fusermount3")
    (tmp_path / "src" / "app").mkdir(parents=True)
    point = tmp_path / "mount point"
    point.mkdir()
    with bindfs(tmp_path / "src", point):
        text = read_proc_mounts()
        assert text is not None
        mount = mount_of(PurePosixPath(point.resolve().as_posix(), "app"), parse_mounts(text))
        assert mount is not None and (mount.mount_point, mount.fstype) == (str(point.resolve()), "fuse")
        # A FUSE folder on this machine is not a folder shared by a host.
        assert guest_share(point / "app", environ={}) is None


def test_a_commented_out_provider_is_not_the_provider(tmp_path: Path) -> None:
    vagrantfile = (
        'Vagrant.configure("2") do |config|\n'
        '  # config.vm.provider "libvirt" do |lv|\n'
        '  config.vm.provider "virtualbox" do |vb|  # was: config.vm.provider :libvirt\n'
        "  end\n"
        "end\n"
    )
    build_file_tree(tmp_path, {"Vagrantfile": vagrantfile})
    assert parse_text(vagrantfile).provider_names == ("virtualbox",)
    found = host_share(tmp_path, tmp_path / "Vagrantfile")
    assert found is not None and (found.fstype, found.guest_path) == ("virtualbox", "/vagrant")


def test_a_provider_given_as_a_variable_leaves_the_share_unknown(tmp_path: Path) -> None:
    vagrantfile = 'Vagrant.configure("2") do |config|\n  config.vm.provider provider_name do |p|\n  end\nend\n'
    build_file_tree(tmp_path, {"Vagrantfile": vagrantfile})
    assert host_share(tmp_path, tmp_path / "Vagrantfile") is None
