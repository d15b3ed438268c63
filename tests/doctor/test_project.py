"""Which Vagrantfile and which Django project doctor looks at, from where it runs and what the environment says."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli, build_file_tree
from tests.doctor.fakes import FakeHost, linux_host
from vagrantkit.doctor.core import run_doctor
from vagrantkit.doctor.model import Status
from vagrantkit.errors import InvalidEnvironment

VAGRANTFILE = 'Vagrant.configure("2") do |config|\nend\n'


def test_django_project_is_the_current_folder_below_the_vagrantfile(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"Vagrantfile": VAGRANTFILE, "site/manage.py": "", "site/shop/__init__.py": ""})
    result = run_doctor(host=linux_host(), cwd=tmp_path / "site", only=["django"])
    assert (result.project, result.django_path) == (tmp_path, tmp_path / "site")
    assert {c.id: c.status for c in result.checks}["django.thread-connections"] is Status.PASS


def test_django_project_is_the_project_folder_when_the_current_one_has_no_manage_py(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"Vagrantfile": VAGRANTFILE, "manage.py": "", "docs/index.md": ""})
    result = run_doctor(host=linux_host(), cwd=tmp_path / "docs", only=["django"])
    assert result.django_path == tmp_path


def test_no_manage_py_here_or_in_the_project_folder_skips_the_django_checks(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"Vagrantfile": VAGRANTFILE, "docs/index.md": "", "other/manage.py": ""})
    result = run_doctor(host=linux_host(), cwd=tmp_path / "docs", only=["django"])
    assert result.django_path is None
    assert {c.status for c in result.checks} == {Status.SKIP}


def env_host(**environ: str) -> FakeHost:
    return linux_host(environ={"PATH": "/usr/bin", **environ})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"VAGRANT_CWD": "/nope"}, "VAGRANT_CWD=/nope: no such folder"),
        ({"VAGRANT_CWD": "{tmp}/afile"}, "VAGRANT_CWD={tmp}/afile: not a folder"),
        ({"VAGRANT_CWD": "empty"}, "VAGRANT_CWD=empty: no Vagrantfile in {tmp}/here/empty or any folder above it"),
        (
            {"VAGRANT_VAGRANTFILE": "Devfile"},
            "VAGRANT_VAGRANTFILE=Devfile: no file of that name in {tmp}/here or any folder above it",
        ),
        (
            {"VAGRANT_CWD": "{tmp}/vm", "VAGRANT_VAGRANTFILE": "Devfile"},
            "VAGRANT_VAGRANTFILE=Devfile: no file of that name in {tmp}/vm (VAGRANT_CWD={tmp}/vm) or any folder above it",
        ),
        ({"VAGRANT_VAGRANTFILE": "/nope/Devfile"}, "VAGRANT_VAGRANTFILE=/nope/Devfile: no such file"),
    ],
)
def test_vagrant_cwd_or_vagrantfile_pointing_at_nothing_is_named_with_its_value(
    environ: dict[str, str], message: str, tmp_path: Path
) -> None:
    # The current folder has no Vagrantfile, so the old message named it ("no Vagrantfile in .../here").
    build_file_tree(tmp_path, {"afile": "", "here/empty/.keep": "", "vm/Vagrantfile": VAGRANTFILE})
    fill = {k: v.replace("{tmp}", str(tmp_path)) for k, v in environ.items()}
    with pytest.raises(InvalidEnvironment) as caught:
        run_doctor(host=env_host(**fill), cwd=tmp_path / "here", only=["host.os"])
    assert caught.value.message == message.replace("{tmp}", str(tmp_path))
    assert caught.value.exit_code == 2


def test_vagrant_cwd_is_where_the_search_starts(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"vm/Vagrantfile": VAGRANTFILE, "here/.keep": ""})
    result = run_doctor(host=env_host(VAGRANT_CWD=str(tmp_path / "vm")), cwd=tmp_path / "here", only=["host.os"])
    assert (result.project, result.vagrantfile) == (tmp_path / "vm", tmp_path / "vm" / "Vagrantfile")


def test_the_cli_says_which_variable_and_exits_2(
    tmp_path: Path, cli_runner: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VAGRANT_CWD", "/nope")
    result = cli_runner("doctor", "host.os")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: VAGRANT_CWD=/nope: no such folder\nVagrant refuses to run while")
    assert cli_runner("doctor", "--vagrantfile", str(tmp_path / "Vagrantfile"), "host.os").exit_code == 2, (
        "--vagrantfile is checked for itself"
    )
    (tmp_path / "Vagrantfile").write_text(VAGRANTFILE)
    assert cli_runner("doctor", "--vagrantfile", str(tmp_path / "Vagrantfile"), "host.os").exit_code == 0, (
        "--vagrantfile needs no search, so VAGRANT_CWD does not matter"
    )
