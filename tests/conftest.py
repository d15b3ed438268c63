"""Fixtures shared by every test module."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

import pytest
from click.testing import CliRunner, Result

from vagrantkit.cli import cli

ON_CI = os.environ.get("CI") == "true"


def build_file_tree(root: Path, spec: Mapping[str, str | bytes]) -> Path:
    """Create files under ``root`` from ``{"relative/path": content}``; returns ``root``."""
    for rel, content in spec.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def unavailable(reason: str) -> NoReturn:
    """Something a test needs is missing: fail on CI (scripts/test installs everything), skip elsewhere."""
    if ON_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def need(program: str) -> str:
    """The path of ``program``, on PATH or beside this interpreter; :func:`unavailable` where it is missing.

    scripts/test runs ``.venv/bin/python -m pytest`` without activating the venv, so the tools
    pip installs there (vermin) are not on PATH.
    """
    found = shutil.which(program) or shutil.which(program, path=str(Path(sys.executable).parent))
    if found:
        return found
    unavailable(f"{program} is not installed (scripts/test installs it)")


def check_golden(path: Path, text: str) -> None:
    """Assert that ``text`` is the golden file ``path``, to the letter.

    ``VAGRANTKIT_UPDATE_GOLDEN=1`` rewrites the file first, to re-record it after a deliberate
    change (then review the diff). Refused on CI, where it would make every golden test pass.
    """
    if os.environ.get("VAGRANTKIT_UPDATE_GOLDEN") == "1":
        if ON_CI:
            pytest.fail("VAGRANTKIT_UPDATE_GOLDEN=1 on CI: golden files are re-recorded by hand and the diff reviewed")
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


class Cli:
    """Runs `vagrantkit ARGS` in-process; stdout and stderr kept apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def cli_runner() -> Cli:
    return Cli()


def vagrant_environment(root: Path) -> dict[str, str]:
    """An environment in which real `vagrant validate` accepts NFS synced folders on this machine.

    Vagrant's Linux host checks for an NFS server with `modinfo nfsd`. This machine's kernel
    has no nfsd module (the lab serves NFS from userspace), so the check fails although the
    Vagrantfile is fine. A `modinfo` shim first on PATH answers 0 for nfsd and hands every
    other question to the real modinfo. Makes ``root/shim`` and a fresh VAGRANT_HOME,
    ``root/vagrant-home``; Vagrant's checkpoint call is off.
    """
    shim_dir = root / "shim"
    shim_dir.mkdir()
    real = shutil.which("modinfo", path="/sbin:/usr/sbin:/bin:/usr/bin") or "/sbin/modinfo"
    shim = shim_dir / "modinfo"
    shim.write_text(
        "#!/bin/sh\n"
        "# Test shim: this kernel has no nfsd module; Vagrant's Linux NFS check runs `modinfo nfsd`.\n"
        'for a in "$@"; do [ "$a" = nfsd ] && exit 0; done\n'
        f'exec {real} "$@"\n'
    )
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    home = root / "vagrant-home"
    home.mkdir()
    env = dict(os.environ)
    env["PATH"] = f"{shim_dir}{os.pathsep}{env['PATH']}"
    env["VAGRANT_HOME"] = str(home)
    env["VAGRANT_CHECKPOINT_DISABLE"] = "1"
    return env


@pytest.fixture(scope="session")
def vagrant_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """:func:`vagrant_environment`, made once for the session."""
    need("vagrant")
    return vagrant_environment(tmp_path_factory.mktemp("vagrant-env"))


# Vagrant's Linux host has no SMB capability at all, so `vagrant validate` refuses every SMB folder
# here ("It appears your machine doesn't support SMB") before reading its options. This plugin,
# defined in the VAGRANT_HOME Vagrantfile that Vagrant loads before the project's, gives the Linux
# host the one capability that check asks for and nothing else (no share is made, nothing mounts).
SMB_HOST_SHIM = """\
# Test shim: Vagrant's Linux host cannot serve SMB; validate asks only whether SMB is installed.
class VagrantkitTestSMBHost < Vagrant.plugin("2")
  name "vagrantkit test: SMB installed on a Linux host"
  host_capability("linux", "smb_installed") do
    Module.new { def self.smb_installed(env) = true }
  end
end
"""


@pytest.fixture(scope="session")
def vagrant_smb_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """:func:`vagrant_environment` whose Vagrant also takes this Linux host for an SMB server (:data:`SMB_HOST_SHIM`)."""
    need("vagrant")
    env = vagrant_environment(tmp_path_factory.mktemp("vagrant-smb-env"))
    (Path(env["VAGRANT_HOME"]) / "Vagrantfile").write_text(SMB_HOST_SHIM)
    return env
