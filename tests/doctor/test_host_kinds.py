"""Doctor on a Windows, macOS, Linux and WSL host, presented through the fake host-facts object.

The full human report (exact text) and the JSON envelope are compared with files under
``tests/doctor/golden/``. After a deliberate change, rewrite them with
``VAGRANTKIT_UPDATE_GOLDEN=1 python -m pytest tests/doctor`` and review the diff.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tests import conftest
from tests.doctor.fakes import FakeHost, linux_host, macos_host, windows_host, wsl_host
from vagrantkit.doctor.core import DoctorResult, run_doctor
from vagrantkit.doctor.model import Fix
from vagrantkit.doctor.report import render_json, render_text
from vagrantkit.result import dumps

GOLDEN = Path(__file__).parent / "golden"
PROJECT_VAGRANTFILE = Path(__file__).parents[1] / "golden" / "windows.Vagrantfile"
MISTAKES = Path(__file__).parent / "fixtures" / "mistakes.Vagrantfile"
KINDS: dict[str, Callable[[], FakeHost]] = {
    "windows": windows_host,
    "macos": macos_host,
    "linux": linux_host,
    "wsl": wsl_host,
}


def check_golden(name: str, text: str) -> None:
    conftest.check_golden(GOLDEN / name, text)


def project(tmp_path: Path, vagrantfile: Path = PROJECT_VAGRANTFILE) -> Path:
    folder = tmp_path / "shop"
    folder.mkdir()
    shutil.copy(vagrantfile, folder / "Vagrantfile")
    return folder


SHOWN_PROJECT = "/home/dev/shop"


def anonymous(result: DoctorResult, folder: Path) -> DoctorResult:
    """The result as if the project lived at SHOWN_PROJECT, so that wrapping does not depend on tmp_path."""

    def swap(text: str) -> str:
        return text.replace(str(folder), SHOWN_PROJECT)

    def swap_fix(fix: Fix | None) -> Fix | None:
        return None if fix is None else Fix(swap(fix.text), tuple(swap(c) for c in fix.commands))

    checks = tuple(
        replace(c, message=swap(c.message), details=tuple(swap(d) for d in c.details), fix=swap_fix(c.fix))
        for c in result.checks
    )
    vagrantfile = None if result.vagrantfile is None else Path(swap(str(result.vagrantfile)))
    return replace(result, project=Path(swap(str(result.project))), vagrantfile=vagrantfile, checks=checks)


@pytest.mark.parametrize("kind", list(KINDS))
def test_full_human_report_for_each_host_kind(kind: str, tmp_path: Path) -> None:
    folder = project(tmp_path)
    result = run_doctor(host=KINDS[kind](), cwd=folder)
    check_golden(f"{kind}.txt", render_text(anonymous(result, folder)))


@pytest.mark.parametrize("kind", list(KINDS))
def test_full_json_envelope_for_each_host_kind(kind: str, tmp_path: Path) -> None:
    folder = project(tmp_path)
    result = run_doctor(host=KINDS[kind](), cwd=folder)
    text = dumps(render_json(anonymous(result, folder)))
    check_golden(f"{kind}.json", text)
    document = json.loads(text)
    assert (
        document["exit_code"]
        == result.exit_code
        == (1 if any(c["status"] == "fail" for c in document["data"]["checks"]) else 0)
    )
    assert set(document) == {"vagrantkit", "command", "status", "exit_code", "data", "errors"}
    for entry in document["data"]["checks"]:
        assert set(entry) == {"id", "title", "category", "status", "message", "details", "fix"}
        assert entry["fix"] is None or set(entry["fix"]) == {"text", "commands"}


def test_verbose_report_lists_skipped_checks_details_and_ids(tmp_path: Path) -> None:
    folder = project(tmp_path)
    result = run_doctor(host=windows_host(), cwd=folder, verbose=True)
    check_golden("windows-verbose.txt", render_text(anonymous(result, folder), verbose=True))


def test_mistakes_fixture_on_windows_reports_each_mistake_with_its_corrected_line(tmp_path: Path) -> None:
    folder = project(tmp_path, MISTAKES)
    host = windows_host()
    host.fake_runner.answers["vagrant validate --ignore-provider"] = (
        1,
        "",
        f"There is a syntax error in the following Vagrantfile. The syntax error\n"
        f"message is reproduced below for convenience:\n\n{folder}/Vagrantfile:4: syntax errors found\n",
    )
    result = run_doctor(host=host, cwd=folder, only=["vagrantfile"])
    check_golden("mistakes-windows.txt", render_text(anonymous(result, folder)))
    ids = [c.id for c in result.checks]
    assert ids == [
        "vagrantfile.found",
        "vagrantfile.lint:L4:C19:curly-quotes",
        "vagrantfile.lint:L5:C3:receiver",
        "vagrantfile.lint:L7:C3:nfs-without-private-network",
        "vagrantfile.lint:L7:C44:nfs-winnfsd-default-options",
        "vagrantfile.lint:L7:C57:nfs-udp",
        "vagrantfile.lint:L10:C5:nfs-version-4-windows",
        "vagrantfile.lint:L11:C5:nfs-owner-group",
        "vagrantfile.lint:L12:C20:nfs-udp",
        "vagrantfile.lint:L12:C20:nfs-nolock",
        "vagrantfile.lint:L14:C3:winnfsd-unguarded",
        "vagrantfile.validate",
    ]
    assert result.exit_code == 1


def test_vagrant_runs_once_per_verb_however_many_checks_ask(tmp_path: Path) -> None:
    host = windows_host()
    run_doctor(host=host, cwd=project(tmp_path))
    runner = host.fake_runner
    assert runner.count("vagrant", "--version") == 1
    assert runner.count("vagrant", "plugin", "list") == 1
    assert runner.count("vagrant", "validate") == 1
    assert runner.count("netsh") == 1 and runner.count("tasklist") == 1 and runner.count("netstat") == 1


def test_on_a_terminal_the_report_is_coloured_and_says_the_same(tmp_path: Path) -> None:
    import re

    folder = project(tmp_path)
    result = anonymous(run_doctor(host=linux_host(), cwd=folder), folder)
    plain = render_text(result)
    coloured = render_text(result, color=True, width=100)
    assert "\x1b[" in coloured and "\x1b[" not in plain
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain
