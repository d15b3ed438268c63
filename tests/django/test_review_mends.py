"""host_share chooses the provider the Vagrantfile really configures."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import build_file_tree
from vagrantkit.django.sharedfolder import host_share, providers


def test_a_commented_out_provider_is_not_the_provider(tmp_path: Path) -> None:
    vagrantfile = (
        'Vagrant.configure("2") do |config|\n'
        '  # config.vm.provider "libvirt" do |lv|\n'
        '  config.vm.provider "virtualbox" do |vb|  # was: config.vm.provider :libvirt\n'
        "  end\n"
        "end\n"
    )
    build_file_tree(tmp_path, {"Vagrantfile": vagrantfile})
    assert providers(vagrantfile) == ["virtualbox"]
    found = host_share(tmp_path, tmp_path / "Vagrantfile")
    assert found is not None and (found.fstype, found.guest_path) == ("virtualbox", "/vagrant")


def test_a_provider_given_as_a_variable_leaves_the_share_unknown(tmp_path: Path) -> None:
    vagrantfile = 'Vagrant.configure("2") do |config|\n  config.vm.provider provider_name do |p|\n  end\nend\n'
    build_file_tree(tmp_path, {"Vagrantfile": vagrantfile})
    assert host_share(tmp_path, tmp_path / "Vagrantfile") is None
