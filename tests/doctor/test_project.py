"""Which Vagrantfile and which Django project doctor looks at, from where it runs and what the environment says."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import build_file_tree
from tests.doctor.fakes import linux_host
from vagrantkit.doctor.core import run_doctor
from vagrantkit.doctor.model import Status

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
