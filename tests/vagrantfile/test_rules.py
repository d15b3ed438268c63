"""The lint rules on the syntax tree: one finding per mistake, at its line, with the corrected text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import need
from vagrantkit.process import run
from vagrantkit.vagrantfile.lint import Reported, lint
from vagrantkit.vagrantfile.rules import RULES, Host, Severity
from vagrantkit.vagrantfile.source import Source

FIXTURE = Path(__file__).parents[1] / "doctor" / "fixtures" / "mistakes.Vagrantfile"
GOLDEN = Path(__file__).parents[1] / "golden"


def found(text: str, host: Host = Host.LINUX) -> list[Reported]:
    return list(lint(Source.from_text(text), host=host).findings)


def rules_by_line(text: str, host: Host = Host.LINUX) -> list[tuple[int, str]]:
    return [(f.line, f.rule) for f in found(text, host)]


def configure(body: str, var: str = "config") -> str:
    return f'Vagrant.configure("2") do |{var}|\n{body}end\n'


NETWORK = '  config.vm.network "private_network", type: "dhcp"\n'


def test_fixture_yields_one_finding_per_mistake_with_line_numbers_on_windows() -> None:
    got = [(f.line, f.rule, f.severity, f.corrected) for f in found(FIXTURE.read_text(), Host.WINDOWS)]
    assert got == [
        (4, "curly-quotes", Severity.FAIL, '  config.vm.box = "bento/ubuntu-24.04"'),
        (5, "receiver", Severity.FAIL, '  config.vm.hostname = "shop"'),
        (
            7,
            "nfs-without-private-network",
            Severity.FAIL,
            '  config.vm.network "private_network", type: "dhcp"\n'
            '  config.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: true',
        ),
        (
            7,
            "nfs-winnfsd-default-options",
            Severity.FAIL,
            '  config.vm.synced_folder ".", "/vagrant", type: "nfs", mount_options: ["nolock"], nfs_udp: true',
        ),
        (7, "nfs-udp", Severity.FAIL, '  config.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: false'),
        (10, "nfs-version-4-windows", Severity.FAIL, "    nfs_version: 3,"),
        (11, "nfs-owner-group", Severity.FAIL, "(delete this line)"),
        (12, "nfs-udp", Severity.FAIL, '    mount_options: ["actimeo=1"]'),
        (12, "nfs-nolock", Severity.FAIL, '    mount_options: ["nolock", "udp", "actimeo=1"]'),
        (
            14,
            "winnfsd-unguarded",
            Severity.FAIL,
            '  if Vagrant.has_plugin?("vagrant-winnfsd")\n    config.winnfsd.uid = 1000\n  end',
        ),
    ]


def test_fixture_on_a_unix_host_drops_the_windows_only_rules_and_softens_nolock() -> None:
    got = rules_by_line(FIXTURE.read_text(), Host.LINUX)
    assert (10, "nfs-version-4-windows") not in got and (7, "nfs-winnfsd-default-options") not in got
    assert [f.severity for f in found(FIXTURE.read_text()) if f.rule == "nfs-nolock"] == [Severity.WARN]
    assert len(got) == 8


def test_any_host_applies_every_hosts_rules() -> None:
    assert {r for _, r in rules_by_line(FIXTURE.read_text(), Host.ANY)} >= {
        "nfs-version-4-windows",
        "nfs-winnfsd-default-options",
    }


def test_each_finding_quotes_the_lines_as_written_and_has_a_unique_id() -> None:
    lines = FIXTURE.read_text().splitlines()
    findings = found(FIXTURE.read_text(), Host.WINDOWS)
    for finding in findings:
        assert finding.written.splitlines()[0] == lines[finding.line - 1]
        assert lines[finding.line - 1][finding.column - 1 :].strip()  # the column points into the line
    assert len({f.id for f in findings}) == len(findings)


# Each golden file of init's defaults, with every host it is for (SMB: not Linux, see the next test).
CLEAN = [
    (p.name, host)
    for p in sorted(GOLDEN.glob("*.Vagrantfile"))
    if p.name != "nfs4-options.Vagrantfile"
    for host in Host
    if not (p.name == "smb.Vagrantfile" and host in (Host.LINUX, Host.ANY))
]


@pytest.mark.parametrize(("name", "host"), CLEAN, ids=[f"{n}-{h.value}" for n, h in CLEAN])
def test_vagrantfiles_rendered_by_init_with_default_options_are_clean(name: str, host: Host) -> None:
    assert found((GOLDEN / name).read_text(), host) == []


def test_init_smb_golden_is_flagged_only_where_vagrant_cannot_serve_smb() -> None:
    text = (GOLDEN / "smb.Vagrantfile").read_text()
    assert [(f.rule, f.severity) for f in found(text, Host.LINUX)] == [("smb-on-linux-host", Severity.FAIL)]
    assert [(f.rule, f.severity) for f in found(text, Host.ANY)] == [("smb-on-linux-host", Severity.WARN)]


def test_init_nfs4_golden_with_custom_options_is_flagged_for_version_and_nolock() -> None:
    text = (GOLDEN / "nfs4-options.Vagrantfile").read_text()
    assert [(f.rule, f.severity) for f in found(text, Host.WINDOWS)] == [
        ("nfs-version-4-windows", Severity.FAIL),
        ("nfs-nolock", Severity.FAIL),
    ]
    assert [(f.rule, f.severity) for f in found(text, Host.LINUX)] == [("nfs-nolock", Severity.WARN)]


# --- receiver ---------------------------------------------------------------------------


def test_receiver_check_knows_every_block_variable() -> None:
    text = configure('  c.vm.define "web" do |web|\n    web.vm.box = "x"\n  end\n  config.vm.box = "x"\n', var="c")
    assert [(f.line, f.rule, f.corrected) for f in found(text)] == [(5, "receiver", '  c.vm.box = "x"')]


def test_method_calls_on_other_objects_and_other_constants_are_not_receivers() -> None:
    # The line-based linter "corrected" these to config.push(...) and config.cache.clear.
    text = configure('  hosts = []\n  hosts.push("a")\n  Rails.cache.clear\n  settings = {}\n  settings.vm.box = "x"\n')
    assert found(text) == []


def test_a_helper_whose_config_is_a_method_parameter_is_clean() -> None:
    text = (
        "class Homestead\n"
        "  def self.configure(config, settings)\n"
        '    config.vm.box = settings["box"]\n'
        '    config.vm.synced_folder ".", "/vagrant", disabled: true\n'
        "  end\n"
        "end\n"
    )
    assert found(text) == []


def test_a_receiver_mistake_is_corrected_to_the_configure_variable_whatever_its_name() -> None:
    text = 'Vagrant.configure(API) do |cfg|\n  config.vm.box = "x"\n  Cfg.vm.hostname = "y"\nend\n'
    assert [(f.line, f.corrected) for f in found(text)] == [(2, '  cfg.vm.box = "x"'), (3, '  cfg.vm.hostname = "y"')]


def test_comments_strings_and_heredocs_are_not_code() -> None:
    text = configure(
        '  # Config.vm.box = "old"  (a comment, not a mistake)\n'
        '  config.vm.box = "a#b"  # nfs_udp: true\n'
        '  config.vm.hostname = "it’s-fine"  # a “comment” too\n'
        "  config.vm.provision :shell, inline: <<-SHELL\n"
        "    echo “quoted in a heredoc”\n"
        "  SHELL\n"
    )
    assert found(text) == []


# --- curly quotes -----------------------------------------------------------------------


def test_a_string_opened_straight_and_closed_curly_is_found_and_fixed_on_its_line() -> None:
    text = configure('  config.vm.box = "bento/ubuntu-24.04”\n  config.vm.hostname = "shop"\n')
    (finding,) = found(text)
    assert (finding.line, finding.rule, finding.corrected) == (
        2,
        "curly-quotes",
        '  config.vm.box = "bento/ubuntu-24.04"',
    )
    assert "closed with a curly one" in finding.message


def test_curly_quotes_in_code_on_one_line_are_one_finding_with_both_edits() -> None:
    (finding,) = found(configure("  config.vm.hostname = ‘shop’\n"))
    assert finding.corrected == "  config.vm.hostname = 'shop'"


# --- NFS ----------------------------------------------------------------------------------


def test_every_spelling_of_an_nfs_folder_is_nfs() -> None:
    for spelling in ('type: "nfs"', "type: :nfs", ":type => :nfs", '"type": "nfs"', "nfs: true", ":nfs => { a: 1 }"):
        text = configure(f'  config.vm.synced_folder ".", "/vagrant", {spelling}, nfs_udp: false\n')
        assert rules_by_line(text) == [(2, "nfs-without-private-network")], spelling
    for spelling in ('"type" => "nfs"', "nfs: false", "nfs: nil", 'type: "rsync"'):
        text = configure(f'  config.vm.synced_folder ".", "/vagrant", {spelling}, nfs_udp: false\n')
        assert rules_by_line(text) == [], spelling


def test_a_synced_folder_over_several_lines_and_a_multi_line_array_are_read() -> None:
    text = configure(
        NETWORK + "  config.vm.synced_folder(\n"
        '    ".", "/vagrant",\n'
        "    type: :nfs, nfs_udp: false,\n"
        "    mount_options: [\n"
        '      "nolock",\n'
        '      # "actimeo=1",\n'
        '      "udp",\n'
        "    ]\n"
        "  )\n"
    )
    ((line, rule, corrected),) = [(f.line, f.rule, f.corrected) for f in found(text)]
    assert (line, rule) == (6, "nfs-udp")
    assert corrected == '    mount_options: [\n      "nolock",\n      # "actimeo=1",\n    ]'


def test_a_computed_value_is_not_checked_and_says_so() -> None:
    text = configure(
        '  settings = YAML.load_file("x.yml")\n'
        '  config.vm.synced_folder ".", "/vagrant", type: settings["type"]\n'
        '  config.vm.synced_folder "a", "/a", type: "nfs", nfs_udp: false, mount_options: settings["opts"]\n' + NETWORK
    )
    result = lint(Source.from_text(text), host=Host.LINUX)
    assert result.findings == ()
    assert [line for line, _ in result.not_checked] == [3, 4]
    assert "synced folder type" in result.not_checked[0][1] and "not checked" in result.not_checked[0][1]


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
    text = configure(NETWORK + f'  config.vm.synced_folder ".", "/vagrant", {options}\n')
    got = [(f.line, f.severity, f.corrected) for f in found(text) if f.rule == "nfs-udp"]
    line = f'  config.vm.synced_folder ".", "/vagrant", {options}'.replace('"nfs"', '"nfs", nfs_udp: false', 1)
    assert got == ([(3, Severity.WARN, line)] if flagged else [])


def test_hash_rocket_options_get_hash_rocket_fixes() -> None:
    text = configure(
        "  config.vm.network :private_network, ip: '192.168.56.10'\n"
        "  config.vm.synced_folder '.', '/vagrant', :nfs => true, :mount_options => ['actimeo=1']\n"
    )
    fixes = {f.rule: f.corrected for f in found(text, Host.WINDOWS)}
    assert set(fixes) == {"nfs-nolock", "nfs-udp"}
    assert ":nfs => true, :nfs_udp => false, :mount_options" in (fixes["nfs-udp"] or "")
    assert ":mount_options => ['nolock', 'actimeo=1']" in (fixes["nfs-nolock"] or "")


def test_owner_and_group_on_nfs_are_one_failure_with_one_combined_fix() -> None:
    text = configure(
        NETWORK + '  config.vm.synced_folder ".", "/vagrant", type: "nfs", owner: "web", nfs_udp: false,\n'
        '    group: "web",  # the web server\n'
        '    mount_options: ["nolock"]\n'
    )
    (finding,) = found(text)
    assert (finding.rule, finding.severity, finding.line) == ("nfs-owner-group", Severity.FAIL, 3)
    assert finding.corrected == (
        '  config.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: false,\n    # the web server'
    )


def test_a_version_inside_mount_options_becomes_nfs_version() -> None:
    text = configure(
        NETWORK + '  config.vm.synced_folder ".", "/v", type: "nfs", nfs_udp: false, mount_options: ["nolock,vers=4"]\n'
    )
    (finding,) = found(text)
    assert finding.rule == "nfs-mount-version"
    assert finding.corrected == (
        '  config.vm.synced_folder ".", "/v", type: "nfs", nfs_version: 4, nfs_udp: false, mount_options: ["nolock"]'
    )
    disagree = text.replace('type: "nfs",', 'type: "nfs", nfs_version: 3,')
    (finding,) = found(disagree)
    assert finding.corrected is None and "disagree" in (finding.unfixable or "")


def test_mount_options_are_read_as_vagrant_joins_them() -> None:
    text = configure(
        NETWORK
        + """\
  config.vm.synced_folder ".", "/vagrant", type: :nfs, nfs_udp: false, mount_options: ['nolock,actimeo=1']
  config.vm.synced_folder "a", "/b", type: "nfs", nfs_udp: false, mount_options: %w(nolock actimeo=1)
  config.vm.synced_folder "c", "/d", type: "nfs", nfs_udp: false, mount_options: %w(actimeo=1 udp)
  config.vm.synced_folder "e", "/f", type: "nfs", nfs_udp: false, mount_options: MY_OPTIONS
  config.vm.synced_folder "g", "/h", type: "nfs", nfs_udp: false, mount_options: ["udp,nolock"]
"""
    )
    got = [(f.line, f.rule, f.corrected) for f in found(text, Host.WINDOWS)]
    assert got == [
        (
            5,
            "nfs-udp",
            '  config.vm.synced_folder "c", "/d", type: "nfs", nfs_udp: false, mount_options: %w(actimeo=1)',
        ),
        (
            5,
            "nfs-nolock",
            '  config.vm.synced_folder "c", "/d", type: "nfs", nfs_udp: false, mount_options: %w(nolock actimeo=1 udp)',
        ),
        (7, "nfs-udp", '  config.vm.synced_folder "g", "/h", type: "nfs", nfs_udp: false, mount_options: ["nolock"]'),
    ]


def test_a_corrected_mount_options_item_is_ruby_that_reads_back_the_kept_options() -> None:
    # Single quotes keep `#{` and `"` literal; the rewritten item must not turn them into code.
    kept = ["x#{1+1}", 'context="system_u:object_r:httpd_sys_content_t:s0"', "nolock"]
    text = configure(
        NETWORK + f'  config.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: false, '
        f"mount_options: ['udp,{','.join(kept)}']\n"
    )
    (finding,) = [f for f in found(text) if f.rule == "nfs-udp"]
    corrected = (finding.corrected or "").split("mount_options: ", 1)[1]
    done = run([need("ruby"), "-e", f'print({corrected}.join(","))'], timeout=30)
    assert done.ok, done.stderr
    assert done.stdout == ",".join(kept)


# --- networks and machines --------------------------------------------------------------


@pytest.mark.parametrize(
    ("providers", "flagged"), [(["libvirt"], False), (["libvirt", "virtualbox"], True), ([], True)]
)
def test_only_a_libvirt_only_vagrantfile_needs_no_private_network(providers: list[str], flagged: bool) -> None:
    blocks = "".join(f'  config.vm.provider "{p}" do |vm|\n    vm.memory = 1024\n  end\n' for p in providers)
    text = configure(
        '  config.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: false, mount_options: ["nolock"]\n' + blocks
    )
    assert ("nfs-without-private-network" in [r for _, r in rules_by_line(text)]) is flagged


def test_a_private_network_counts_only_for_its_own_machine() -> None:
    text = configure(
        '  config.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: false\n'
        '  config.vm.define "web" do |web|\n'
        '    web.vm.network "private_network", ip: "192.168.56.10"\n'
        "  end\n"
        '  config.vm.define "db" do |db|\n'
        '    db.vm.box = "x"\n'
        "  end\n"
    )
    (finding,) = found(text)
    assert (finding.line, finding.rule) == (2, "nfs-without-private-network")
    assert "machine db" in finding.message
    assert finding.corrected is None and "web" in (finding.unfixable or "")


def test_a_folder_inside_a_define_gets_its_network_there() -> None:
    text = configure(
        '  config.vm.define "web" do |web|\n'
        '    web.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: false\n'
        "  end\n"
        '  config.vm.define "db" do |db|\n'
        '    db.vm.network "private_network", type: "dhcp"\n'
        "  end\n"
    )
    (finding,) = found(text)
    assert finding.corrected == (
        '    web.vm.network "private_network", type: "dhcp"\n'
        '    web.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: false'
    )


def test_a_network_type_that_is_computed_is_not_guessed() -> None:
    text = configure(
        '  config.vm.network net, type: "dhcp"\n  config.vm.synced_folder ".", "/v", type: "nfs", nfs_udp: false\n'
    )
    result = lint(Source.from_text(text), host=Host.LINUX)
    assert result.findings == () and result.not_checked


# --- winnfsd ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "guarded",
    [
        'if Vagrant.has_plugin?("vagrant-winnfsd")\n    config.winnfsd.uid = 1000\n  end\n',
        'config.winnfsd.uid = 1000 if Vagrant.has_plugin?("vagrant-winnfsd")\n',
        "if defined? VagrantWinNFSd\n    config.winnfsd.uid = 1000\n  end\n",
        'unless Vagrant.has_plugin?("vagrant-winnfsd")\n    puts "no"\n  else\n    config.winnfsd.uid = 1000\n  end\n',
        'winnfsd = Vagrant.has_plugin?("vagrant-winnfsd")\n  if winnfsd\n    config.winnfsd.uid = 1000\n  end\n',
        'if Vagrant::Util::Platform.windows? && Vagrant.has_plugin?("vagrant-winnfsd")\n    config.winnfsd.uid = 1\n  end\n',
        'if !Vagrant.has_plugin?("vagrant-winnfsd")\n    puts "no"\n  else\n    config.winnfsd.uid = 1\n  end\n',
        'Vagrant.has_plugin?("vagrant-winnfsd") && config.winnfsd.uid = 1000\n',
    ],
)
def test_every_form_of_a_plugin_guard_is_a_guard(guarded: str) -> None:
    assert [r for _, r in rules_by_line(configure("  " + guarded), Host.WINDOWS)] == []


@pytest.mark.parametrize(
    "unguarded",
    [
        "config.winnfsd.uid = 1000\n",
        'unless Vagrant.has_plugin?("vagrant-winnfsd")\n    config.winnfsd.uid = 1000\n  end\n',
        'if ENV["X"]\n    config.winnfsd.logging = "off"\n  end\n',
        'if Vagrant.has_plugin?("vagrant-winnfsd") || ENV["X"]\n    config.winnfsd.uid = 1\n  end\n',
    ],
)
def test_what_is_not_a_guard_is_flagged(unguarded: str) -> None:
    assert [r for _, r in rules_by_line(configure("  " + unguarded), Host.WINDOWS)] == ["winnfsd-unguarded"]


def test_a_guard_on_the_old_plugin_constant_is_a_guard_that_never_holds() -> None:
    text = configure("  if defined? VagrantPlugins::VagrantWinNFSd\n    config.winnfsd.uid = 1000\n  end\n")
    (finding,) = found(text, Host.WINDOWS)
    assert (finding.rule, finding.severity) == ("winnfsd-guard-never-true", Severity.WARN)
    assert finding.corrected == '  if Vagrant.has_plugin?("vagrant-winnfsd")'


def test_plugins_forcing_winnfsd_on_every_host_fail_and_a_windows_guard_is_fine() -> None:
    text = configure('  config.vagrant.plugins = ["vagrant-winnfsd"]\n')
    (finding,) = found(text)
    assert finding.rule == "winnfsd-plugin-everywhere"
    assert finding.corrected == '  config.vagrant.plugins = ["vagrant-winnfsd"] if Vagrant::Util::Platform.windows?'
    for fine in (
        '  config.vagrant.plugins = ["vagrant-winnfsd"] if Vagrant::Util::Platform.windows?\n',
        '  if Gem.win_platform?\n    config.vagrant.plugins = "vagrant-winnfsd"\n  end\n',
        '  config.vagrant.plugins = ["vagrant-vbguest"]\n',
    ):
        assert found(configure(fine)) == [], fine
    mixed = found(configure('  config.vagrant.plugins = {"vagrant-winnfsd" => {}, "vagrant-vbguest" => {}}\n'))
    assert [(f.rule, f.corrected) for f in mixed] == [("winnfsd-plugin-everywhere", None)]


def test_windows_rules_skip_what_only_other_hosts_run() -> None:
    text = configure(
        NETWORK + "  if OS.linux?\n"
        '    config.vm.synced_folder ".", "/v", type: "nfs", nfs_version: 4\n'
        "  else\n"
        '    config.vm.synced_folder ".", "/v", type: "nfs", nfs_version: 4\n'
        "  end\n"
    )
    only_windows = {"nfs-winnfsd-default-options", "nfs-version-4-windows"}
    windows = [(line, rule) for line, rule in rules_by_line(text, Host.WINDOWS) if rule in only_windows]
    assert windows == [(6, "nfs-winnfsd-default-options"), (6, "nfs-version-4-windows")]


# --- SMB --------------------------------------------------------------------------------


def smb(options: str) -> str:
    return configure(NETWORK + f'  config.vm.synced_folder ".", "/vagrant", type: "smb"{options}\n')


@pytest.mark.parametrize(
    ("options", "corrected"),
    [
        (', mount_options: ["vers=1.0"]', '["vers=3.02"]'),
        (", mount_options: ['mfsymlinks,vers=1', 'nobrl']", "['mfsymlinks,vers=3.02', 'nobrl']"),
        (", :mount_options => %w[vers=1.0 nobrl]", "%w[vers=3.02 nobrl]"),
    ],
)
def test_smb1_in_mount_options_fails_and_becomes_smb3(options: str, corrected: str) -> None:
    (finding,) = found(smb(options), Host.WINDOWS)
    assert (finding.rule, finding.severity, finding.line) == ("smb-version-1", Severity.FAIL, 3)
    assert finding.corrected is not None and finding.corrected.endswith(corrected)


def test_smb2_and_3_and_a_computed_version_are_not_smb1() -> None:
    for options in (', mount_options: ["vers=2.1"]', ', mount_options: ["vers=3.1.1"]', ", mount_options: [v]"):
        assert found(smb(options), Host.WINDOWS) == [], options
    # vers=1.0 on a folder of another type is not SMB's business
    rsync = configure('  config.vm.synced_folder ".", "/v", type: "rsync", mount_options: ["vers=1.0"]\n')
    assert found(rsync, Host.WINDOWS) == []


def test_a_password_written_in_the_file_fails_and_is_read_from_the_environment_instead() -> None:
    (finding,) = found(smb(", smb_username: 'dev', smb_password: 's3cret'"), Host.MACOS)
    assert (finding.rule, finding.severity, finding.line) == ("smb-password-in-file", Severity.FAIL, 3)
    assert finding.corrected == (
        '  config.vm.synced_folder ".", "/vagrant", type: "smb", smb_username: \'dev\', '
        "smb_password: ENV['VAGRANT_SMB_PASSWORD']"
    )
    assert "history" in finding.why


def test_a_password_from_the_environment_or_a_variable_is_not_in_the_file() -> None:
    for password in ('ENV["SMB_PASSWORD"]', "settings['smb_password']", '""'):
        assert found(smb(f', smb_username: "dev", smb_password: {password}'), Host.WINDOWS) == [], password


def test_a_password_without_a_user_name_warns_and_a_user_name_alone_is_fine() -> None:
    (finding,) = found(smb(', smb_password: ENV["SMB_PASSWORD"]'), Host.WINDOWS)
    assert (finding.rule, finding.severity, finding.corrected) == ("smb-credentials", Severity.WARN, None)
    assert finding.unfixable
    # Vagrant offers the user name and asks for the password only: the setup init recommends.
    assert found(smb(', smb_username: ENV["SMB_USERNAME"]'), Host.WINDOWS) == []
    assert found(smb(', smb_password: ENV["SMB_PASSWORD"], **creds'), Host.WINDOWS) == []


def test_an_smb_folder_fails_on_a_linux_host_warns_for_any_and_is_fine_on_windows_and_macos() -> None:
    text = smb(', mount_options: ["vers=3.02"]')
    assert [(f.rule, f.severity, f.line) for f in found(text, Host.LINUX)] == [("smb-on-linux-host", Severity.FAIL, 3)]
    assert [(f.rule, f.severity) for f in found(text, Host.ANY)] == [("smb-on-linux-host", Severity.WARN)]
    assert found(text, Host.WINDOWS) == [] and found(text, Host.MACOS) == []
    disabled = configure('  config.vm.synced_folder ".", "/vagrant", type: "smb", disabled: true\n')
    assert found(disabled, Host.LINUX) == []


@pytest.mark.parametrize(
    "guard",
    [
        "if Vagrant::Util::Platform.windows?",
        "unless OS.linux?",
        "if OS.mac? || OS.windows?",
        "if RUBY_PLATFORM =~ /darwin/",
    ],
)
def test_an_smb_folder_kept_for_windows_or_macos_hosts_is_fine_on_linux(guard: str) -> None:
    text = configure(
        NETWORK + f"  {guard}\n"
        '    config.vm.synced_folder ".", "/vagrant", type: "smb"\n'
        "  else\n"
        '    config.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: false, mount_options: ["nolock"]\n'
        "  end\n"
    )
    assert found(text, Host.LINUX) == []
    assert [f.rule for f in found(text.replace(guard, "if OS.linux?"), Host.LINUX)] == ["smb-on-linux-host"]


# --- conventions ------------------------------------------------------------------------


def test_select_ignore_and_an_inline_comment_silence_rules() -> None:
    text = configure('  Config.vm.box = "x"  # vagrantkit: ignore[receiver]\n  Config.vm.hostname = "y"\n')
    result = lint(Source.from_text(text), host=Host.LINUX)
    assert [(f.line, f.rule) for f in result.findings] == [(3, "receiver")] and result.ignored == 1
    assert lint(Source.from_text(text), host=Host.LINUX, ignore=frozenset({"receiver"})).findings == ()
    other = lint(Source.from_text(text), host=Host.LINUX, select=frozenset({"curly-quotes"}))
    assert other.findings == ()
    bare = configure('  Config.vm.box = "x"  # vagrantkit: ignore\n')
    assert found(bare) == []
    in_string = configure('  Config.vm.box = "# vagrantkit: ignore"\n')
    assert [f.rule for f in found(in_string)] == ["receiver"]


def test_every_rule_has_an_id_a_severity_and_a_title() -> None:
    assert len(RULES) >= 12
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id and rule.title and isinstance(rule.severity, Severity)


def test_a_syntax_error_is_reported_once_where_the_parser_gave_up_unless_curly_quotes_explain_it() -> None:
    (finding,) = found('Vagrant.configure("2") do |config|\n  config.vm.box = "x"\nend\nx = [1, 2\n')
    assert (finding.rule, finding.severity, finding.corrected) == ("syntax", Severity.WARN, None)
    assert finding.line >= 4
    assert [f.rule for f in found(configure("  config.vm.box = “x”\n"))] == ["curly-quotes"]
