"""`vagrantkit doctor` for real on this machine: real Vagrant, real files, the CLI end to end.

The CI machine is Linux with Debian's vagrant and no VirtualBox; the verdicts asserted here are
the ones that follow from what this machine really has (each looked up independently).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Cli, need
from vagrantkit.render.init import init

MISTAKES = Path(__file__).parent / "fixtures" / "mistakes.Vagrantfile"


@pytest.fixture
def healthy_project(tmp_path: Path, vagrant_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project rendered by `vagrantkit init`, the current folder, with vagrant_env as the environment."""
    project = tmp_path / "shop"
    init(project, {})
    for key in set(os.environ) - set(vagrant_env):
        monkeypatch.delenv(key)
    for key, value in vagrant_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(project)
    return project


def verdicts(document: dict[str, object]) -> dict[str, str]:
    data = document["data"]
    assert isinstance(data, dict)
    return {c["id"]: c["status"] for c in data["checks"]}


def has_nfs_server() -> bool:
    """exportfs installed and an nfsd in this kernel (loaded, or a module for the running release)."""
    exportfs = shutil.which("exportfs") or any(Path(p).is_file() for p in ("/usr/sbin/exportfs", "/sbin/exportfs"))
    release = os.uname().release
    kernel = "nfsd" in Path("/proc/filesystems").read_text() or any(
        Path(root, release, "kernel/fs/nfsd").is_dir() for root in ("/lib/modules", "/usr/lib/modules")
    )
    return bool(exportfs) and kernel


def installed_plugins() -> str:
    """What `vagrant plugin list` shows (CI has Debian's vagrant-libvirt, for the e2e), as doctor words it."""
    out = subprocess.run(["vagrant", "plugin", "list"], capture_output=True, text=True, check=True).stdout
    found = [f"{m[1]} {m[2]}" for m in re.finditer(r"^(\S+) \(([^,)]+)", out, re.MULTILINE)]
    return ", ".join(found) or "no plugins installed"


def test_doctor_json_on_this_machine_gives_the_verdicts_its_setup_implies(
    healthy_project: Path, cli_runner: Cli
) -> None:
    result = cli_runner("doctor", "--json")
    document = json.loads(result.stdout)
    got = verdicts(document)
    version = subprocess.run(["vagrant", "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    checks = {c["id"]: c for c in document["data"]["checks"]}
    assert checks["vagrant.installed"]["message"] == f"Vagrant {version} ({shutil.which('vagrant')})"
    assert got["vagrant.installed"] == "pass"
    assert (got["vagrant.plugins"], checks["vagrant.plugins"]["message"]) == ("pass", installed_plugins())
    assert got["vagrantfile.found"] == "pass" and checks["vagrantfile.found"]["message"] == str(
        healthy_project / "Vagrantfile"
    )
    assert got["vagrantfile.lint"] == "pass"
    assert got["vagrantfile.validate"] == "pass", checks["vagrantfile.validate"]
    assert got["provider.virtualbox"] == ("fail" if shutil.which("VBoxManage") is None else "pass")
    assert got["nfs.server"] == ("pass" if has_nfs_server() else "fail")
    assert got["nfs.sudoers"] in (("pass",) if os.geteuid() == 0 else ("pass", "warn"))
    assert got["nfs.winnfsd-unix"] == "pass"
    assert all(
        got[i] == "skip" for i in got if i.startswith(("nfs.winnfsd-", "provider.hyperv")) and i != "nfs.winnfsd-unix"
    )
    failed = any(s == "fail" for s in got.values())
    assert document["exit_code"] == result.exit_code == (1 if failed else 0)
    assert document["data"]["host"]["os"] == "linux"


def test_doctor_text_on_this_machine_shows_every_result_line(healthy_project: Path, cli_runner: Cli) -> None:
    result = cli_runner("doctor", "vagrant", "vagrantfile")
    lines = result.stdout.splitlines()
    assert lines[1] == f"Vagrantfile: {healthy_project / 'Vagrantfile'}"
    assert "  [✓] Vagrantfile lint: none of the known mistakes" in lines
    assert "  [✓] vagrant validate: Vagrantfile validated successfully." in lines
    assert lines[-1].startswith("Summary: 5 passed, 0 warnings, 0 failed, 0 skipped")
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout  # no colour when stdout is not a terminal


def test_doctor_on_the_mistakes_fixture_lints_every_line_and_real_vagrant_rejects_it(
    healthy_project: Path, cli_runner: Cli
) -> None:
    bad = healthy_project / "Bad.Vagrantfile"
    shutil.copy(MISTAKES, bad)
    result = cli_runner("doctor", "--json", "--vagrantfile", str(bad), "vagrantfile")
    got = verdicts(json.loads(result.stdout))
    assert [i for i in got if i.startswith("vagrantfile.lint:")] == [
        "vagrantfile.lint:L4:C19:curly-quotes",
        "vagrantfile.lint:L5:C3:receiver",
        "vagrantfile.lint:L7:C3:nfs-without-private-network",
        "vagrantfile.lint:L7:C57:nfs-udp",
        "vagrantfile.lint:L11:C5:nfs-owner-group",
        "vagrantfile.lint:L12:C20:nfs-udp",
        "vagrantfile.lint:L12:C20:nfs-nolock",
        "vagrantfile.lint:L14:C3:winnfsd-unguarded",
    ]
    assert got["vagrantfile.validate"] == "fail"  # Ruby chokes on the curly quotes
    assert result.exit_code == 1


def test_doctor_list_names_every_check(cli_runner: Cli) -> None:
    result = cli_runner("doctor", "--list")
    ids = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"host.os", "vagrant.installed", "provider.virtualbox", "nfs.winnfsd-firewall", "vagrantfile.lint"} <= set(
        ids
    )
    assert "security.winnfsd-exposure" in ids and result.exit_code == 0
    listed = json.loads(cli_runner("doctor", "--list", "--json").stdout)["data"]["checks"]
    assert [c["id"] for c in listed] == ids


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("doctor", "nfs.nope"), "Invalid value for ID: 'nfs.nope'"),
        (("doctor", "--vagrantfile", "/nonexistent/Vagrantfile"), "Invalid value for --vagrantfile"),
        (("doctor", "--django", "/nonexistent/app"), "Invalid value for --django"),
    ],
)
def test_usage_errors_exit_2_with_a_message_and_no_traceback(
    args: tuple[str, ...], words: str, cli_runner: Cli
) -> None:
    result = cli_runner(*args)
    assert result.exit_code == 2
    assert words in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_django_project_is_picked_up_from_the_project_folder(healthy_project: Path, cli_runner: Cli) -> None:
    (healthy_project / "manage.py").write_text("")
    document = json.loads(cli_runner("doctor", "--json", "host.os").stdout)
    assert document["data"]["django_path"] == str(healthy_project)


def test_doctor_without_vagrant_on_path_fails_the_vagrant_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli_runner: Cli
) -> None:
    need("vagrant")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    result = cli_runner("doctor", "--json", "vagrant")
    assert verdicts(json.loads(result.stdout)) == {"vagrant.installed": "fail", "vagrant.plugins": "skip"}
    assert result.exit_code == 1
