"""`vagrantkit init` from the command line: what it writes, and every way it refuses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli, build_file_tree


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def test_init_creates_vagrantfile_and_answers(tmp_path: Path, cli_runner: Cli) -> None:
    result = cli_runner("init", str(tmp_path / "shop"))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == (
        f"    create  {tmp_path / 'shop' / 'Vagrantfile'}\n    create  {tmp_path / 'shop' / 'vagrantkit.toml'}\n"
    )
    text = (tmp_path / "shop" / "Vagrantfile").read_text()
    assert 'config.vm.hostname = "shop"' in text
    assert 'config.vm.network "private_network", type: "dhcp"' in text
    assert 'mount_options: ["nolock", "actimeo=1"]' in text
    assert "nfs_udp: false" in text


def test_init_on_identical_files_says_identical(tmp_path: Path, cli_runner: Cli) -> None:
    cli_runner("init", str(tmp_path))
    before = files_in(tmp_path)
    result = cli_runner("init", str(tmp_path))
    assert result.exit_code == 0
    assert result.stderr.split() == [
        "identical",
        str(tmp_path / "Vagrantfile"),
        "identical",
        str(tmp_path / "vagrantkit.toml"),
    ]
    assert files_in(tmp_path) == before


def test_init_refuses_to_overwrite_without_force(tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"Vagrantfile": "# my own Vagrantfile\n"})
    result = cli_runner("init", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: Vagrantfile already exists in {tmp_path} and differs")
    assert "--force" in result.stderr
    assert "Traceback" not in result.output
    assert files_in(tmp_path) == {"Vagrantfile": b"# my own Vagrantfile\n"}


def test_init_force_keeps_a_backup_of_the_old_file(tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"Vagrantfile": "# my own Vagrantfile\n"})
    result = cli_runner("init", str(tmp_path), "--force")
    assert result.exit_code == 0
    backups = sorted(tmp_path.glob("Vagrantfile.*.bak"))
    assert len(backups) == 1
    assert backups[0].read_text() == "# my own Vagrantfile\n"
    assert f"overwrite  {tmp_path / 'Vagrantfile'} (backup: {backups[0].name})" in result.stderr
    assert "private_network" in (tmp_path / "Vagrantfile").read_text()
    assert not list(tmp_path.glob(".*.tmp")), "no temp file left behind"


def test_second_force_gets_a_backup_of_its_own(tmp_path: Path, cli_runner: Cli) -> None:
    cli_runner("init", str(tmp_path), "--memory", "1024")
    cli_runner("init", str(tmp_path), "--memory", "3072", "--force")
    cli_runner("init", str(tmp_path), "--memory", "4096", "--force")
    backups = sorted(tmp_path.glob("Vagrantfile.*.bak"))
    assert len(backups) == 2
    assert {("1024" in b.read_text(), "3072" in b.read_text()) for b in backups} == {(True, False), (False, True)}


def test_dry_run_prints_the_file_and_writes_nothing(tmp_path: Path, cli_runner: Cli) -> None:
    result = cli_runner("init", str(tmp_path / "new"), "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.startswith("# -*- mode: ruby -*-")
    assert "dry run: nothing was written" in result.stderr
    assert not (tmp_path / "new").exists()


def test_answers_are_read_back_and_command_line_wins(tmp_path: Path, cli_runner: Cli) -> None:
    cli_runner("init", str(tmp_path), "--memory", "4096", "--box", "generic/debian12", "--forward", "8080:80")
    result = cli_runner("init", str(tmp_path), "--cpus", "4", "--force")
    assert result.exit_code == 0
    text = (tmp_path / "Vagrantfile").read_text()
    assert "vm.memory = 4096" in text
    assert "vm.cpus = 4" in text
    assert 'config.vm.box = "generic/debian12"' in text
    assert "guest: 80, host: 8080" in text
    assert "guest: 8000" not in text


def test_dropping_nolock_warns(tmp_path: Path, cli_runner: Cli) -> None:
    result = cli_runner("init", str(tmp_path), "--mount-option", "actimeo=1")
    assert result.exit_code == 0
    assert "warning: mount options without 'nolock': WinNFSd" in result.stderr


def test_nfs4_warns_about_winnfsd(tmp_path: Path, cli_runner: Cli) -> None:
    result = cli_runner("init", str(tmp_path), "--nfs-version", "4")
    assert "warning: --nfs-version 4: WinNFSd speaks only NFSv3" in result.stderr


def test_missing_host_folder_warns(tmp_path: Path, cli_runner: Cli) -> None:
    result = cli_runner("init", str(tmp_path), "--host-path", "src")
    assert result.exit_code == 0
    assert "warning: the host path 'src' is not a folder on this machine" in result.stderr


BAD_VALUES = [
    (["--memory", "100"], "Invalid value for --memory: 100. Allowed: a whole number from 256 to 262144 (MiB)."),
    (["--memory", "lots"], "Invalid value for '--memory': 'lots' is not a valid integer."),
    (["--cpus", "0"], "Invalid value for --cpus: 0. Allowed: a whole number from 1 to 128."),
    (["--forward", "8000"], "Invalid value for --forward: '8000'. Allowed: HOST:GUEST with both ports from 1 to 65535"),
    (["--forward", "0:80"], "Invalid value for --forward: '0:80'. Allowed: HOST:GUEST"),
    (["--forward", "70000:80"], "Invalid value for --forward: '70000:80'. Allowed: HOST:GUEST"),
    (
        ["--forward", "8000:1", "--forward", "8000:2"],
        "Invalid value for --forward: '8000:2'. Allowed: each host port forwarded once.",
    ),
    (
        ["--box", 'x"; system("id")'],
        'Invalid value for --box: \'x"; system("id")\'. Allowed: a box name like bento/ubuntu-24.04',
    ),
    (["--box", "a/b/c"], "Invalid value for --box: 'a/b/c'."),
    (["--hostname", "-bad-"], "Invalid value for --hostname: '-bad-'. Allowed: a host name"),
    (["--hostname", "under_score"], "Invalid value for --hostname: 'under_score'."),
    (["--guest-path", "vagrant"], "Invalid value for --guest-path: 'vagrant'. Allowed: an absolute path in the guest"),
    (["--guest-path", "/"], "Invalid value for --guest-path: '/'."),
    (["--guest-path", "/it's"], 'Invalid value for --guest-path: "/it\'s".'),
    (
        ["--host-path", "a\nb"],
        "Invalid value for --host-path: 'a\\nb'. Allowed: a folder path, without control or invisible characters.",
    ),
    (["--host-path", " "], "Invalid value for --host-path: ' '. Allowed: a folder path (not empty)."),
    (
        ["--mount-option", "nolock,udp"],
        "Invalid value for --mount-option: 'nolock,udp'. Allowed: one option per --mount-option",
    ),
    (["--mount-option", "x;reboot"], "Invalid value for --mount-option: 'x;reboot'."),
    (["--provider", "hyperv"], "Invalid value for '--provider': 'hyperv' is not one of 'virtualbox', 'libvirt'."),
    (["--nfs-version", "2"], "Invalid value for '--nfs-version': '2' is not one of '3', '4'."),
    (["--sync", "cifs"], "Invalid value for '--sync': 'cifs' is not one of 'nfs', 'smb'."),
    (["--sync", "smb", "--watch"], "Invalid value for --watch: True. Allowed: off with --sync smb:"),
    (
        ["--sync", "smb", "--require-plugins"],
        "Invalid value for --require-plugins: True. Allowed: off with --sync smb:",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_VALUES, ids=[" ".join(a) for a, _ in BAD_VALUES])
def test_bad_value_exits_2_names_it_and_writes_nothing(
    args: list[str], message: str, tmp_path: Path, cli_runner: Cli
) -> None:
    build_file_tree(tmp_path, {"Vagrantfile": "# keep me\n"})
    result = cli_runner("init", str(tmp_path), *args, "--force")
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert files_in(tmp_path) == {"Vagrantfile": b"# keep me\n"}


def test_broken_answers_file_exits_2_naming_it(tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"vagrantkit.toml": "[init\nmemory = 1\n"})
    result = cli_runner("init", str(tmp_path))
    assert result.exit_code == 2
    assert f"Invalid value for {tmp_path / 'vagrantkit.toml'}" in result.stderr
    assert "Allowed: a TOML file written by vagrantkit init" in result.stderr
    assert files_in(tmp_path) == {"vagrantkit.toml": b"[init\nmemory = 1\n"}


def test_unknown_saved_answer_exits_2_listing_the_known_ones(tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"vagrantkit.toml": "[init]\nmemroy = 4096\n"})
    result = cli_runner("init", str(tmp_path))
    assert result.exit_code == 2
    assert "'memroy'. Allowed: one of box, cpus, forwards" in result.stderr
    assert not (tmp_path / "Vagrantfile").exists()


def test_saved_answer_out_of_range_is_refused_naming_the_file_and_the_key(tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"vagrantkit.toml": "[init]\nmemory = 1\n"})
    result = cli_runner("init", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {tmp_path / 'vagrantkit.toml'}: memory: invalid value 1. "
        "Allowed: a whole number from 256 to 262144 (MiB).\n"
        "Correct it there, or give --memory (the command line wins over the file).\n"
    )
    assert files_in(tmp_path) == {"vagrantkit.toml": b"[init]\nmemory = 1\n"}


@pytest.mark.parametrize(
    ("saved", "named"),
    [
        ('box = "a/b/c"', "box: invalid value 'a/b/c'. Allowed: a box name"),
        (
            'forwards = ["8000:1", "8000:2"]',
            "forwards: invalid value '8000:2'. Allowed: each host port forwarded once.",
        ),
        ("forwards = [8000]", "forwards: invalid value 8000. Allowed: HOST:GUEST"),
        ('mount_options = "nolock"', "mount_options: invalid value 'nolock'. Allowed: a list of strings."),
        ("mount_options = []", "mount_options: invalid value ''. Allowed: at least one mount option"),
        ('watch = "yes"', "watch: invalid value 'yes'. Allowed: true or false."),
        ('sync = "cifs"', "sync: invalid value 'cifs'. Allowed: nfs or smb."),
        ("sync = [1]", "sync: invalid value [1]. Allowed: nfs or smb."),
        ('host_path = "a\\nb"', "host_path: invalid value 'a\\nb'. Allowed: a folder path, without control"),
    ],
)
def test_every_saved_answer_is_named_by_its_key(saved: str, named: str, tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"vagrantkit.toml": f"[init]\n{saved}\n"})
    result = cli_runner("init", str(tmp_path))
    assert result.exit_code == 2
    assert f"Error: {tmp_path / 'vagrantkit.toml'}: {named}" in result.stderr
    assert "Invalid value for --" not in result.stderr


def test_a_bad_value_given_over_a_saved_one_is_named_by_its_option(tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"vagrantkit.toml": "[init]\nmemory = 1\n"})
    result = cli_runner("init", str(tmp_path), "--memory", "100")
    assert result.exit_code == 2
    assert "Error: Invalid value for --memory: 100." in result.stderr
    assert "vagrantkit.toml" not in result.stderr
    assert cli_runner("init", str(tmp_path), "--memory", "1024", "--force").exit_code == 0, "the command line wins"


def test_dir_that_is_a_file_is_refused(tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"afile": "x"})
    result = cli_runner("init", str(tmp_path / "afile"))
    assert result.exit_code == 2
    assert "is a file" in result.stderr
    assert (tmp_path / "afile").read_text() == "x"


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "vagrantkit", "init", str(tmp_path), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert 'type: "nfs"' in out.stdout


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from vagrantkit.cli import cli\n"
        "try:\n    cli(['--help'], prog_name='vagrantkit')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('rich', 'jinja2', 'vagrant') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_json_envelope_describes_what_was_done(tmp_path: Path, cli_runner: Cli) -> None:
    result = cli_runner("init", str(tmp_path), "--json", "--no-forwards")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    vagrantfile = (tmp_path / "Vagrantfile").read_text()
    assert document == {
        "vagrantkit": "1",
        "command": "init",
        "status": "ok",
        "exit_code": 0,
        "errors": [],
        "data": {
            "directory": str(tmp_path),
            "dry_run": False,
            "options": {
                "box": "bento/ubuntu-24.04",
                "provider": "virtualbox",
                "sync": "nfs",
                "memory": 2048,
                "cpus": 2,
                "hostname": document["data"]["options"]["hostname"],
                "host_path": ".",
                "guest_path": "/vagrant",
                "forwards": [],
                "mount_options": ["nolock", "actimeo=1"],
                "nfs_version": 3,
                "require_plugins": False,
                "watch": False,
            },
            "files": [
                {"path": str(tmp_path / "Vagrantfile"), "action": "create", "backup": None},
                {"path": str(tmp_path / "vagrantkit.toml"), "action": "create", "backup": None},
            ],
            "warnings": [],
            "vagrantfile": vagrantfile,
        },
    }


def test_a_folder_that_cannot_be_made_is_an_error_not_a_traceback(tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"afile": "x"})
    result = cli_runner("init", str(tmp_path / "afile" / "sub"))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot write {tmp_path / 'afile' / 'sub' / 'Vagrantfile'}: ")
    assert "Traceback" not in result.output
    assert files_in(tmp_path) == {"afile": b"x"}


def test_watch_switches_between_the_two_defaults_and_keeps_mount_options_of_ones_own(
    cli_runner: Cli, tmp_path: Path
) -> None:
    def rendered_options() -> str:
        text = (tmp_path / "Vagrantfile").read_text()
        return next(line.strip() for line in text.splitlines() if "mount_options:" in line)

    assert cli_runner("init", str(tmp_path), "--watch").exit_code == 0
    assert rendered_options() == 'mount_options: ["nolock", "actimeo=60", "nocto"]'
    assert "vagrantkit watch" in (tmp_path / "Vagrantfile").read_text()
    assert "watch = true" in (tmp_path / "vagrantkit.toml").read_text()
    assert cli_runner("init", str(tmp_path), "--no-watch", "--force").exit_code == 0
    assert rendered_options() == 'mount_options: ["nolock", "actimeo=1"]'
    assert "vagrantkit watch" not in (tmp_path / "Vagrantfile").read_text()
    custom = ["--mount-option", "nolock", "--mount-option", "actimeo=30"]
    assert cli_runner("init", str(tmp_path), *custom, "--force").exit_code == 0
    assert cli_runner("init", str(tmp_path), "--watch", "--force").exit_code == 0
    assert rendered_options() == 'mount_options: ["nolock", "actimeo=30"]', "the user's own options stay"


HUGE = "x" * 10_000_000


@pytest.mark.parametrize(
    "args",
    [["--box", HUGE], ["--memory", HUGE], ["--provider", HUGE], [f"--hostname={HUGE}"], ["--mount-option", HUGE + ";"]],
    ids=["box", "memory (click's message)", "provider (click's message)", "--hostname=", "mount-option"],
)
def test_a_huge_bad_value_is_echoed_cut_short(args: list[str], tmp_path: Path, cli_runner: Cli) -> None:
    result = cli_runner("init", str(tmp_path), *args)
    assert result.exit_code == 2
    assert "x" * 199 + "… (10,000,00" in result.stderr
    assert len(result.stderr) < 2_000
    assert files_in(tmp_path) == {}


def test_a_huge_bad_value_in_the_answers_file_is_echoed_cut_short(tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"vagrantkit.toml": f'[init]\nbox = "{HUGE}"\n'})
    result = cli_runner("init", str(tmp_path))
    assert result.exit_code == 2
    assert f"vagrantkit.toml: box: invalid value '{'x' * 199}… (10,000,000 characters)" in result.stderr
    assert len(result.stderr) < 2_000


DEEP = 10_000


@pytest.mark.parametrize(
    "text",
    [
        "[init]\nforwards = " + "[" * DEEP + "]" * DEEP + "\n",
        "[init]\nmemory = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n",
        "a = " + "[" * DEEP + "]" * DEEP + "\n",
    ],
    ids=["array", "inline tables", "outside [init]"],
)
def test_answers_nested_too_deep_exit_2_naming_the_file(text: str, tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"vagrantkit.toml": text})
    result = cli_runner("init", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: Invalid value for {tmp_path / 'vagrantkit.toml'}: ''. Allowed: a TOML file written by vagrantkit "
        "init (its arrays or tables nest too deep to read).\n"
    )
    assert files_in(tmp_path) == {"vagrantkit.toml": text.encode()}


def test_a_value_nested_deep_but_readable_is_refused_without_a_traceback(tmp_path: Path, cli_runner: Cli) -> None:
    # Table headers and dotted keys are read without recursion, so this file loads; its value is refused.
    text = "[init]\nmemory." + ".".join(["a"] * DEEP) + " = 1\n"
    build_file_tree(tmp_path, {"vagrantkit.toml": text})
    result = cli_runner("init", str(tmp_path))
    assert result.exit_code == 2
    assert "memory" in result.stderr and "nested too deep to show" in result.stderr
    assert files_in(tmp_path) == {"vagrantkit.toml": text.encode()}


@pytest.mark.parametrize("args", [["--forward", "8080:80", "--no-forwards"], ["--no-forwards", "--forward", "8080:80"]])
def test_forward_with_no_forwards_is_refused_naming_both(args: list[str], tmp_path: Path, cli_runner: Cli) -> None:
    result = cli_runner("init", str(tmp_path), *args)
    assert result.exit_code == 2
    assert "Error: --forward and --no-forwards exclude each other: give one of them." in result.stderr
    assert files_in(tmp_path) == {}


UDP = ["udp", "udp6", "proto=udp", "proto=udp6"]


@pytest.mark.parametrize("option", UDP)
def test_a_udp_mount_option_is_refused_saying_why(option: str, tmp_path: Path, cli_runner: Cli) -> None:
    result = cli_runner("init", str(tmp_path), "--mount-option", "nolock", "--mount-option", option)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: Invalid value for --mount-option: {option!r}. Allowed: options over TCP, since guests with "
        "nfs-utils >= 2.1.2 (Ubuntu 22.04+, Debian 12) refuse NFS over UDP (--force renders it anyway).\n"
    )
    assert files_in(tmp_path) == {}


@pytest.mark.parametrize("option", UDP)
def test_a_udp_mount_option_is_rendered_with_force_and_doctor_fails_it(
    option: str, tmp_path: Path, cli_runner: Cli
) -> None:
    from vagrantkit.vagrantfile.lint import lint
    from vagrantkit.vagrantfile.rules import Host, Severity
    from vagrantkit.vagrantfile.source import Source

    result = cli_runner("init", str(tmp_path), "--mount-option", "nolock", "--mount-option", option, "--force")
    assert result.exit_code == 0
    assert f"warning: {option!r} in mount options: guests with nfs-utils >= 2.1.2" in result.stderr
    text = (tmp_path / "Vagrantfile").read_text()
    assert f'mount_options: ["nolock", "{option}"]' in text
    assert [(f.rule, f.severity) for f in lint(Source.from_text(text), host=Host.LINUX).findings] == [
        ("nfs-udp", Severity.FAIL)
    ]
    again = cli_runner("init", str(tmp_path))  # saved in vagrantkit.toml: refused again without --force
    assert again.exit_code == 2
    assert f"Error: {tmp_path / 'vagrantkit.toml'}: mount_options: invalid value {option!r}." in again.stderr


def option_comments(text: str) -> list[str]:
    """The option column of the comment block over the synced folder (`#   name  note`)."""
    block = text.split("# The project over NFS", 1)[1].split("config.vm.synced_folder", 1)[0]
    return [line.split()[1] for line in block.splitlines() if line.startswith("  #   ") and line[6] != " "]


@pytest.mark.parametrize(
    ("args", "commented"),
    [
        ([], ["nfs_udp:", "nolock", "actimeo=1"]),
        (["--mount-option", "actimeo=1"], ["nfs_udp:", "actimeo=1"]),
        (["--mount-option", "nolock"], ["nfs_udp:", "nolock"]),
        (["--watch"], ["nfs_udp:", "nolock", "actimeo=60", "nocto", "vagrantkit"]),
        (
            ["--watch", "--mount-option", "nolock", "--mount-option", "actimeo=5"],
            ["nfs_udp:", "nolock", "actimeo=5", "vagrantkit"],
        ),
        (["--mount-option", "noac", "--mount-option", "hard"], ["nfs_udp:", "noac", "the"]),
    ],
)
def test_the_comments_tell_of_the_mount_options_rendered_and_no_others(
    args: list[str], commented: list[str], tmp_path: Path, cli_runner: Cli
) -> None:
    assert cli_runner("init", str(tmp_path), *args).exit_code == 0
    text = (tmp_path / "Vagrantfile").read_text()
    assert option_comments(text) == commented
    if "--watch" in args and "actimeo=5" in args:
        assert "# A host edit stays unseen for up to 5 s, unless `vagrantkit watch` runs" in text


@pytest.mark.parametrize("target", ["missing", "own file"])
def test_a_vagrantfile_symlink_is_not_replaced_without_force(target: str, tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"elsewhere/Vagrantfile": "# mine\n"})
    pointed = tmp_path / "elsewhere" / ("nothing" if target == "missing" else "Vagrantfile")
    project = tmp_path / "project"
    project.mkdir()
    (project / "Vagrantfile").symlink_to(pointed)
    result = cli_runner("init", str(project))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: Vagrantfile already exists in {project} and differs")
    assert [p.name for p in project.iterdir()] == ["Vagrantfile"]
    assert os.readlink(project / "Vagrantfile") == str(pointed)


@pytest.mark.parametrize("target", ["missing", "own file"])
def test_force_over_a_vagrantfile_symlink_keeps_the_link_as_its_backup(
    target: str, tmp_path: Path, cli_runner: Cli
) -> None:
    build_file_tree(tmp_path, {"elsewhere/Vagrantfile": "# mine\n"})
    pointed = tmp_path / "elsewhere" / ("nothing" if target == "missing" else "Vagrantfile")
    project = tmp_path / "project"
    project.mkdir()
    (project / "Vagrantfile").symlink_to(pointed)
    result = cli_runner("init", str(project), "--force")
    assert result.exit_code == 0
    (backup,) = project.glob("Vagrantfile.*.bak")
    assert backup.is_symlink() and os.readlink(backup) == str(pointed)
    assert f"overwrite  {project / 'Vagrantfile'} (backup: {backup.name})" in result.stderr
    assert not (project / "Vagrantfile").is_symlink()
    assert "private_network" in (project / "Vagrantfile").read_text()
    assert (tmp_path / "elsewhere" / "Vagrantfile").read_text() == "# mine\n", "the link's target is left alone"


def test_a_symlink_to_the_same_text_is_identical(tmp_path: Path, cli_runner: Cli) -> None:
    cli_runner("init", str(tmp_path / "first"))
    project = tmp_path / "second"
    project.mkdir()
    (project / "Vagrantfile").symlink_to(tmp_path / "first" / "Vagrantfile")
    shutil.copy(tmp_path / "first" / "vagrantkit.toml", project)
    result = cli_runner("init", str(project), "--hostname", "first")
    assert result.exit_code == 0
    assert result.stderr.split()[:2] == ["identical", str(project / "Vagrantfile")]
    assert (project / "Vagrantfile").is_symlink()


@pytest.mark.parametrize("option", ["vers=3", "nfsvers=4", "vers=4.1", "v3"])
def test_an_nfs_version_in_mount_options_is_refused_unless_forced(option: str, tmp_path: Path, cli_runner: Cli) -> None:
    # Vagrant puts vers=<nfs_version> first; a second version option is refused by current guests.
    result = cli_runner("init", str(tmp_path), "--mount-option", "nolock", "--mount-option", option)
    assert result.exit_code == 2
    assert f"Invalid value for --mount-option: {option!r}" in result.stderr and "--nfs-version" in result.stderr
    assert files_in(tmp_path) == {}
    forced = cli_runner("init", str(tmp_path), "--mount-option", "nolock", "--mount-option", option, "--force")
    assert forced.exit_code == 0 and "set the NFS version with --nfs-version" in forced.stderr
