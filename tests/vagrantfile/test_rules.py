"""The Vagrantfile linter: one finding per mistake, with its line and the corrected line."""

from __future__ import annotations

from pathlib import Path

import pytest
from vagrantkit.doctor.lint import code_part, lint, parse

from tests.conftest import need
from vagrantkit.doctor.model import Status
from vagrantkit.process import run

FIXTURE = Path(__file__).parent / "fixtures" / "mistakes.Vagrantfile"
GOLDEN = Path(__file__).parents[1] / "golden"


def test_fixture_yields_one_finding_per_mistake_with_line_numbers_on_windows() -> None:
    found = [(f.line, f.rule, f.status, f.corrected) for f in lint(FIXTURE.read_text(), windows_host=True)]
    assert found == [
        (4, "curly-quotes", Status.FAIL, '  config.vm.box = "bento/ubuntu-24.04"'),
        (5, "receiver", Status.FAIL, '  config.vm.hostname = "shop"'),
        (
            7,
            "nfs-without-private-network",
            Status.FAIL,
            '  config.vm.network "private_network", type: "dhcp"\n'
            '  config.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: true',
        ),
        (7, "nfs-udp", Status.FAIL, '  config.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: false'),
        (10, "nfs-version-4-windows", Status.FAIL, "    nfs_version: 3,"),
        (11, "nfs-owner-group", Status.WARN, "(delete this line)"),
        (12, "nfs-udp", Status.FAIL, '    mount_options: ["actimeo=1"]'),
        (12, "nfs-nolock", Status.FAIL, '    mount_options: ["nolock", "actimeo=1"]'),
        (
            14,
            "winnfsd-unguarded",
            Status.FAIL,
            '  if Vagrant.has_plugin?("vagrant-winnfsd")\n    config.winnfsd.uid = 1000\n  end',
        ),
    ]


def test_fixture_on_a_unix_host_drops_the_windows_only_rules_and_softens_nolock() -> None:
    found = [(f.line, f.rule, f.status) for f in lint(FIXTURE.read_text(), windows_host=False)]
    assert (10, "nfs-version-4-windows", Status.FAIL) not in found
    assert (12, "nfs-nolock", Status.WARN) in found
    assert len(found) == 8


def test_each_finding_quotes_the_line_as_written() -> None:
    lines = FIXTURE.read_text().splitlines()
    for finding in lint(FIXTURE.read_text(), windows_host=True):
        assert finding.written == lines[finding.line - 1]


@pytest.mark.parametrize("windows", [True, False])
@pytest.mark.parametrize(
    "name", sorted(p.name for p in GOLDEN.glob("*.Vagrantfile") if p.name != "nfs4-options.Vagrantfile")
)
def test_vagrantfiles_rendered_by_init_with_default_options_are_clean(name: str, windows: bool) -> None:
    assert lint((GOLDEN / name).read_text(), windows_host=windows) == []


@pytest.mark.parametrize(
    ("providers", "flagged"), [(["libvirt"], False), (["libvirt", "virtualbox"], True), ([], True)]
)
def test_only_a_libvirt_only_vagrantfile_needs_no_private_network(providers: list[str], flagged: bool) -> None:
    # vagrant-libvirt mounts NFS over its management network; VirtualBox needs a host-only one.
    blocks = "".join(f'  config.vm.provider "{p}" do |vm|\n    vm.memory = 1024\n  end\n' for p in providers)
    text = (
        'Vagrant.configure("2") do |config|\n'
        '  config.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: false, mount_options: ["nolock"]\n'
        f"{blocks}end\n"
    )
    rules = [f.rule for f in lint(text, windows_host=False)]
    assert ("nfs-without-private-network" in rules) is flagged


def test_init_nfs4_golden_with_custom_options_is_flagged_for_version_and_nolock() -> None:
    text = (GOLDEN / "nfs4-options.Vagrantfile").read_text()
    assert [(f.rule, f.status) for f in lint(text, windows_host=True)] == [
        ("nfs-version-4-windows", Status.FAIL),
        ("nfs-nolock", Status.FAIL),
    ]
    assert [(f.rule, f.status) for f in lint(text, windows_host=False)] == [("nfs-nolock", Status.WARN)]


def test_receiver_check_knows_every_block_variable() -> None:
    text = (
        'Vagrant.configure("2") do |c|\n'
        '  c.vm.define "web" do |web|\n'
        '    web.vm.synced_folder ".", "/app"\n'
        "  end\n"
        '  config.vm.box = "x"\n'
        "end\n"
    )
    found = lint(text, windows_host=False)
    assert [(f.line, f.rule, f.corrected) for f in found] == [(5, "receiver", '  c.vm.box = "x"')]


def test_comments_and_strings_are_not_code() -> None:
    text = (
        'Vagrant.configure("2") do |config|\n'
        '  # Config.vm.box = "old"  (a comment, not a mistake)\n'
        '  config.vm.box = "a#b"  # nfs_udp: true\n'
        "end\n"
    )
    assert lint(text, windows_host=True) == []
    assert code_part('  x = "a#b"  # note') == '  x = "a#b"  '


def test_winnfsd_inside_a_has_plugin_block_or_modifier_is_guarded() -> None:
    text = (
        'Vagrant.configure("2") do |config|\n'
        '  if Vagrant.has_plugin?("vagrant-winnfsd")\n'
        "    config.winnfsd.uid = 1000\n"
        "  end\n"
        '  config.winnfsd.gid = 1000 if Vagrant.has_plugin?("vagrant-winnfsd")\n'
        '  if ENV["X"]\n'
        "    config.winnfsd.logging = 'off'\n"
        "  end\n"
        "end\n"
    )
    assert [(f.line, f.rule) for f in lint(text, windows_host=True)] == [(7, "winnfsd-unguarded")]


def test_hash_rocket_options_and_nfs_true_are_understood() -> None:
    text = (
        'Vagrant.configure("2") do |config|\n'
        '  config.vm.network :private_network, ip: "192.168.56.10"\n'
        '  config.vm.synced_folder ".", "/vagrant", :nfs => true, :mount_options => ["actimeo=1"], :owner => "web"\n'
        "end\n"
    )
    facts = parse(text)
    assert facts.private_network == 2
    assert facts.static_ips == ((2, "192.168.56.10"),)
    assert [f.mount_options for f in facts.nfs_folders] == [["actimeo=1"]]
    found = {f.rule: f.corrected for f in lint(text, windows_host=True)}
    assert set(found) == {"nfs-nolock", "nfs-owner-group", "nfs-udp"}
    assert ":nfs => true, nfs_udp: false, :mount_options" in found["nfs-udp"]
    assert found["nfs-owner-group"].endswith(':mount_options => ["actimeo=1"]')
    assert ':mount_options => ["nolock", "actimeo=1"]' in found["nfs-nolock"]


def test_a_disabled_nfs_folder_needs_no_network() -> None:
    text = 'Vagrant.configure("2") do |config|\n  config.vm.synced_folder ".", "/vagrant", type: "nfs", disabled: true\nend\n'
    assert lint(text, windows_host=True) == []


@pytest.mark.parametrize(
    ("options", "flagged"),
    [
        ('type: "nfs"', True),
        ('type: "nfs", nfs_version: 3', True),
        ('type: "nfs", nfs_version: 4', False),
        ('type: "nfs", nfs_udp: false', False),
        ('type: "nfs", mount_options: ["nolock", "tcp"]', False),
        ('type: "rsync"', False),
    ],
)
def test_nfs_v3_without_nfs_udp_false_mounts_over_udp_by_vagrants_default(options: str, flagged: bool) -> None:
    text = (
        'Vagrant.configure("2") do |config|\n'
        '  config.vm.network "private_network", type: "dhcp"\n'
        f'  config.vm.synced_folder ".", "/vagrant", {options}\n'
        "end\n"
    )
    found = [(f.line, f.rule, f.status, f.corrected) for f in lint(text, windows_host=False) if f.rule == "nfs-udp"]
    expected = [
        (
            3,
            "nfs-udp",
            Status.WARN,
            f'  config.vm.synced_folder ".", "/vagrant", {options}'.replace('"nfs"', '"nfs", nfs_udp: false', 1),
        )
    ]
    assert found == (expected if flagged else [])


def test_real_world_shapes_are_not_mistakes() -> None:
    text = (
        'VAGRANTFILE_API_VERSION = "2"\n'
        "Vagrant.configure(VAGRANTFILE_API_VERSION) do |cfg|\n"
        '  cfg.vm.hostname = "it’s-fine"  # a curly quote inside a string or a “comment” is no mistake\n'
        '  cfg.vm.provider "virtualbox" do |vb, override|\n'
        '    override.vm.box = "bento/ubuntu-24.04"\n'
        "  end\n"
        "  (1..2).each do |i|\n"
        '    cfg.vm.define "node#{i}" do |node|\n'
        '      node.vm.network "private_network", ip: "192.168.56.1#{i}"\n'
        '      node.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: false\n'
        "    end\n"
        "  end\n"
        "end\n"
    )
    assert lint(text, windows_host=True) == []
    assert parse(text).block_vars == ("cfg", "vb", "override", "i", "node")


def test_a_receiver_mistake_is_corrected_to_the_configure_variable_whatever_its_name() -> None:
    text = 'Vagrant.configure(API) do |cfg|\n  config.vm.box = "x"\nend\n'
    assert [(f.line, f.corrected) for f in lint(text, windows_host=False)] == [(2, '  cfg.vm.box = "x"')]


def test_unless_has_plugin_is_not_a_guard() -> None:
    text = (
        'Vagrant.configure("2") do |config|\n'
        '  unless Vagrant.has_plugin?("vagrant-winnfsd")\n'
        "    config.winnfsd.uid = 1000\n"
        "  end\n"
        "end\n"
    )
    assert [(f.line, f.rule) for f in lint(text, windows_host=True)] == [(3, "winnfsd-unguarded")]


def test_escaped_quotes_do_not_end_a_string() -> None:
    assert code_part(r'  x = "a \" # still a string"  # comment') == r'  x = "a \" # still a string"  '


MOUNT_OPTION_FORMS = """\
Vagrant.configure("2") do |config|
  config.vm.network "private_network", type: "dhcp"
  config.vm.synced_folder ".", "/vagrant", type: :nfs, nfs_udp: false, mount_options: ['nolock,actimeo=1']
  config.vm.synced_folder "a", "/b", type: "nfs", nfs_udp: false, mount_options: %w(nolock actimeo=1)
  config.vm.synced_folder "c", "/d", type: "nfs", nfs_udp: false, mount_options: %w(actimeo=1 udp)
  config.vm.synced_folder "e", "/f", type: "nfs", nfs_udp: false, mount_options: MY_OPTIONS
  config.vm.synced_folder "g", "/h", type: "nfs", nfs_udp: false, mount_options: ["udp,nolock"]
end
"""


def test_mount_options_are_read_as_vagrant_joins_them() -> None:
    """Vagrant joins the list with commas, so 'nolock,actimeo=1' holds nolock; %w() is a list too;
    a variable is not guessed at (no finding rather than a wrong corrected line)."""
    found = [(f.line, f.rule, f.corrected) for f in lint(MOUNT_OPTION_FORMS, windows_host=True)]
    assert found == [
        (
            5,
            "nfs-udp",
            '  config.vm.synced_folder "c", "/d", type: "nfs", nfs_udp: false, mount_options: ["actimeo=1"]',
        ),
        (
            5,
            "nfs-nolock",
            '  config.vm.synced_folder "c", "/d", type: "nfs", nfs_udp: false, mount_options: ["nolock", "actimeo=1"]',
        ),
        (7, "nfs-udp", '  config.vm.synced_folder "g", "/h", type: "nfs", nfs_udp: false, mount_options: ["nolock"]'),
    ]


def test_a_corrected_mount_options_line_is_ruby_that_reads_back_the_kept_options() -> None:
    # Single quotes keep `#{` and `"` literal; the corrected list must not turn them into code or broken strings.
    kept = ["x#{1+1}", 'context="system_u:object_r:httpd_sys_content_t:s0"', "nolock"]
    written = "[" + ", ".join(f"'{o}'" for o in ["udp", *kept]) + "]"
    text = (
        'Vagrant.configure("2") do |config|\n'
        '  config.vm.network "private_network", type: "dhcp"\n'
        f'  config.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: false, mount_options: {written}\n'
        "end\n"
    )
    (finding,) = [f for f in lint(text, windows_host=False) if f.rule == "nfs-udp"]
    corrected = finding.corrected.split("mount_options: ", 1)[1]
    done = run([need("ruby"), "-e", f'print({corrected}.join("\\n"))'], timeout=30)
    assert done.ok, done.stderr
    assert done.stdout.split("\n") == kept
