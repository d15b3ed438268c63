"""Rendered Vagrantfiles: golden files, parsed by real Ruby, validated by real Vagrant."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import conftest
from tests.conftest import Cli, check_golden, need

GOLDEN = Path(__file__).resolve().parent.parent / "golden"

# name -> (init arguments, folders the Vagrantfile's host path needs)
CASES: dict[str, tuple[list[str], list[str]]] = {
    "default": ([], []),
    "libvirt": (["--provider", "libvirt", "--memory", "4096", "--cpus", "4", "--box", "generic/debian12"], []),
    "guest-path": (
        ["--guest-path", "/srv/app", "--host-path", "src", "--forward", "8000:8000", "--forward", "15432:5432"],
        ["src"],
    ),
    # On this Linux test host a Windows path is just a relative folder name with backslashes in it:
    # creating that folder lets real Vagrant validate the file, and the path must come out exactly as typed.
    "windows": (
        ["--host-path", "C:\\Users\\dev\\projects\\shop", "--hostname", "shop.local", "--require-plugins"],
        ["C:\\Users\\dev\\projects\\shop"],
    ),
    # Long attribute caching, kept fresh by vagrantkit watch; libvirt as the e2e renders it.
    "watch": (["--watch", "--provider", "libvirt"], []),
    "nfs4-options": (
        ["--nfs-version", "4", "--mount-option", "rsize=65536", "--mount-option", "actimeo=2", "--no-forwards"],
        [],
    ),
    # --watch with options of one's own: the comments tell of those options and of a 30 s cache.
    # (nolock kept: doctor's lint test holds every golden but nfs4-options to no finding on a Windows host.)
    "watch-own-options": (
        ["--watch", "--mount-option", "nolock", "--mount-option", "actimeo=30", "--mount-option", "noatime"],
        [],
    ),
    # Vagrant's SMB folder (Windows and macOS hosts), validated with SMB_HOST_SHIM on this Linux host.
    "smb": (["--sync", "smb", "--guest-path", "/srv/app", "--hostname", "shop"], []),
}
# The cases Vagrant can validate here only with the SMB host shim (tests/conftest.py).
SMB_CASES = {"smb"}


@pytest.fixture(params=sorted(CASES))
def rendered(request: pytest.FixtureRequest, tmp_path: Path, cli_runner: Cli) -> tuple[str, Path]:
    args, folders = CASES[request.param]
    project = tmp_path / "myproject"
    for folder in folders:
        (project / folder).mkdir(parents=True)
    result = cli_runner("init", str(project), *args)
    assert result.exit_code == 0, result.stderr
    return request.param, project


def test_rendered_vagrantfile_matches_golden(rendered: tuple[str, Path]) -> None:
    name, project = rendered
    text = (project / "Vagrantfile").read_text(encoding="utf-8")
    check_golden(GOLDEN / f"{name}.Vagrantfile", text)


@pytest.mark.parametrize("value", ["0", "yes", "true", ""])
def test_golden_files_are_rewritten_only_with_update_golden_1(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, this module rewrote its golden files whenever the variable was set, even to "0".
    golden = tmp_path / "x.Vagrantfile"
    golden.write_text("recorded\n")
    monkeypatch.setattr(conftest, "ON_CI", False)
    monkeypatch.setenv("VAGRANTKIT_UPDATE_GOLDEN", value)
    with pytest.raises(AssertionError):
        check_golden(golden, "rendered\n")
    assert golden.read_text() == "recorded\n"
    monkeypatch.setenv("VAGRANTKIT_UPDATE_GOLDEN", "1")
    check_golden(golden, "rendered\n")
    assert golden.read_text() == "rendered\n"


def test_golden_files_are_never_rewritten_on_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    golden = tmp_path / "x.Vagrantfile"
    golden.write_text("recorded\n")
    monkeypatch.setattr(conftest, "ON_CI", True)
    monkeypatch.setenv("VAGRANTKIT_UPDATE_GOLDEN", "1")
    with pytest.raises(pytest.fail.Exception, match="VAGRANTKIT_UPDATE_GOLDEN=1 on CI"):
        check_golden(golden, "rendered\n")
    assert golden.read_text() == "recorded\n"


def test_rendered_vagrantfile_parses_with_ruby(rendered: tuple[str, Path]) -> None:
    ruby = need("ruby")
    _, project = rendered
    out = subprocess.run([ruby, "-c", "Vagrantfile"], cwd=project, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Syntax OK"


def vagrant_validate(folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["vagrant", "validate", "--ignore-provider"], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )


def test_rendered_vagrantfile_passes_vagrant_validate(
    rendered: tuple[str, Path], request: pytest.FixtureRequest
) -> None:
    name, project = rendered
    out = vagrant_validate(project, request.getfixturevalue("vagrant_smb_env" if name in SMB_CASES else "vagrant_env"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Vagrantfile validated successfully." in out.stdout


def test_without_the_shim_vagrant_refuses_the_smb_file_only_for_want_of_an_smb_host(
    tmp_path: Path, cli_runner: Cli, vagrant_env: dict[str, str]
) -> None:
    """The SMB shim changes one answer: on this Linux host, without it, Vagrant stops there and nowhere else."""
    assert cli_runner("init", str(tmp_path), *CASES["smb"][0]).exit_code == 0
    out = vagrant_validate(tmp_path, vagrant_env)
    assert out.returncode == 1
    assert " ".join((out.stdout + out.stderr).split()).startswith(
        "It appears your machine doesn't support SMB, has not been properly configured for SMB"
    )


def test_vagrant_validate_rejects_a_broken_file(tmp_path: Path, vagrant_env: dict[str, str]) -> None:
    """The validation above can fail: a typo'd Config.vm is refused by the same command."""
    (tmp_path / "Vagrantfile").write_text('Vagrant.configure("2") do |config|\n  Config.vm.box = "x"\nend\n')
    out = vagrant_validate(tmp_path, vagrant_env)
    assert out.returncode != 0
    assert "Config" in out.stdout + out.stderr
