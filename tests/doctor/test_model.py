"""The check model: registry, several findings per check, crashes, selection, shared facts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.doctor.fakes import linux_host, macos_host, windows_host
from vagrantkit.doctor import model
from vagrantkit.doctor.core import run_doctor, select_checks
from vagrantkit.doctor.model import (
    CHECK_MODULES,
    UNIX_ONLY,
    WINDOWS_ONLY,
    Category,
    Check,
    DoctorContext,
    Finding,
    Fix,
    Status,
    iter_results,
    load_checks,
)
from vagrantkit.errors import InvalidValue
from vagrantkit.host import OS
from vagrantkit.registry import check_modules


@pytest.fixture
def scratch_check() -> Iterator[list[str]]:
    """Register checks for one test and remove them afterwards."""
    added: list[str] = []
    yield added
    for check_id in added:
        model.REGISTRY.pop(check_id, None)


def test_every_category_of_the_issue_has_checks_and_ids_are_unique() -> None:
    checks = load_checks()
    assert len({c.id for c in checks}) == len(checks)
    assert {c.category for c in checks} >= set(Category) - {Category.DJANGO}
    assert all(c.id.startswith(c.category.value + ".") for c in checks)


def test_checks_are_listed_in_category_order() -> None:
    order = [c.category for c in load_checks()]
    assert order == sorted(order, key=list(Category).index)


def test_django_module_is_in_the_module_list_and_loaded_when_present() -> None:
    assert "vagrantkit.doctor.checks.django" in CHECK_MODULES
    if Path(model.__file__).with_name("checks").joinpath("django.py").exists():
        assert any(c.category is Category.DJANGO for c in load_checks())


def test_several_findings_get_ids_from_their_keys_and_an_empty_list_is_a_pass() -> None:
    check = Check("x.many", "Many", Category.HOST, lambda ctx: [])
    fix = Fix("do it", ("cmd",))
    results = list(
        iter_results(check, [Finding.fail("one", fix=fix, key="L3"), Finding.warn("two", fix=fix, key="L9", title="T")])
    )
    assert [(r.id, r.title, r.status) for r in results] == [
        ("x.many:L3", "Many", Status.FAIL),
        ("x.many:L9", "T", Status.WARN),
    ]
    assert [(r.id, r.status, r.message) for r in iter_results(check, [])] == [
        ("x.many", Status.PASS, "nothing wrong found")
    ]


def test_a_check_that_raises_is_a_fail_saying_so_with_the_traceback_only_when_verbose(
    scratch_check: list[str], tmp_path: Path
) -> None:
    @model.check("host.zz-broken", "Broken", Category.HOST)
    def broken(ctx: DoctorContext) -> Finding:
        raise KeyError("oops")

    scratch_check.append("host.zz-broken")
    quiet = run_doctor(host=linux_host(), cwd=tmp_path, only=["host.zz-broken"])
    loud = run_doctor(host=linux_host(), cwd=tmp_path, only=["host.zz-broken"], verbose=True)
    (q,) = quiet.checks
    (v,) = loud.checks
    assert (q.status, q.message) == (Status.FAIL, "the check itself broke: KeyError: 'oops'")
    assert q.details == ()
    assert q.fix is not None and q.fix.commands == ("vagrantkit doctor -v host.zz-broken",)
    assert v.details[0] == "Traceback (most recent call last):" and "KeyError: 'oops'" in v.details[-1]
    assert quiet.exit_code == 1


def test_a_check_for_some_host_oses_is_skipped_elsewhere_without_being_called(
    scratch_check: list[str], tmp_path: Path
) -> None:
    calls: list[str] = []

    @model.check("host.zz-windows", "Windows", Category.HOST, only=WINDOWS_ONLY)
    def on_windows(ctx: DoctorContext) -> Finding:
        calls.append(ctx.host.os.value)
        return Finding.passed("ran")

    @model.check("host.zz-unix", "Unix", Category.HOST, only=UNIX_ONLY)
    def on_unix(ctx: DoctorContext) -> Finding:
        calls.append(ctx.host.os.value)
        return Finding.passed("ran")

    scratch_check.extend(["host.zz-windows", "host.zz-unix"])
    seen = {}
    for host in (windows_host(), linux_host(), macos_host()):
        result = run_doctor(host=host, cwd=tmp_path, only=["host.zz-windows", "host.zz-unix"])
        seen[host.os.value] = [(c.id, c.status, c.message) for c in result.checks]
    assert seen == {
        "windows": [
            ("host.zz-windows", Status.PASS, "ran"),
            ("host.zz-unix", Status.SKIP, "macOS and Linux hosts only"),
        ],
        "linux": [
            ("host.zz-windows", Status.SKIP, "Windows hosts only"),
            ("host.zz-unix", Status.PASS, "ran"),
        ],
        "macos": [
            ("host.zz-windows", Status.SKIP, "Windows hosts only"),
            ("host.zz-unix", Status.PASS, "ran"),
        ],
    }
    assert calls == ["windows", "linux", "macos"]


def test_the_registry_keeps_each_checks_host_oses() -> None:
    by_id = {c.id: c.only for c in load_checks()}
    assert by_id["nfs.winnfsd-plugin"] == WINDOWS_ONLY and by_id["nfs.server"] == UNIX_ONLY
    assert by_id["provider.hyperv"] == WINDOWS_ONLY
    assert by_id["host.os"] is None and by_id["vagrantfile.lint"] is None


def test_a_check_for_one_host_os_lives_in_that_oses_module() -> None:
    # Per-OS checks in per-OS modules (the security checks keep their own cross-OS module).
    home = {
        frozenset({OS.WINDOWS}): "vagrantkit.doctor.checks.windows",
        frozenset({OS.MACOS}): "vagrantkit.doctor.checks.macos",
        frozenset({OS.LINUX, OS.MACOS}): "vagrantkit.doctor.checks.unix",
    }
    misplaced = [
        (c.id, c.function.__module__)
        for c in load_checks()
        if c.only is not None
        and c.only.oses in home
        and c.category is not Category.SECURITY
        and c.function.__module__ != home[c.only.oses]
    ]
    assert misplaced == []


def test_the_modules_of_every_provider_and_sync_type_are_loaded() -> None:
    assert set(check_modules()) <= set(CHECK_MODULES)
    assert CHECK_MODULES[:2] == ("vagrantkit.doctor.checks.host", "vagrantkit.doctor.checks.vagrant")


def test_registering_two_functions_under_one_id_is_refused(scratch_check: list[str]) -> None:
    model.check("host.zz-dup", "A", Category.HOST)(lambda ctx: Finding.passed("a"))
    scratch_check.append("host.zz-dup")
    with pytest.raises(ValueError, match=r"host\.zz-dup"):
        model.check("host.zz-dup", "B", Category.HOST)(lambda ctx: Finding.passed("b"))


def test_selection_by_id_and_category_and_unknown_names_are_usage_errors() -> None:
    checks = load_checks()
    assert [c.id for c in select_checks(checks, ["vagrant"])] == ["vagrant.installed", "vagrant.plugins"]
    assert [c.id for c in select_checks(checks, ["host.os", "vagrantfile.lint"])] == ["host.os", "vagrantfile.lint"]
    with pytest.raises(InvalidValue) as err:
        select_checks(checks, ["nfs.bogus"])
    assert err.value.exit_code == 2
    assert "nfs.bogus" in err.value.message and "vagrantkit doctor --list" in err.value.message


def test_a_shared_fact_is_computed_once_while_other_facts_go_on_in_parallel(tmp_path: Path) -> None:
    ctx = DoctorContext(linux_host(), tmp_path, None)
    calls: list[str] = []
    release = threading.Event()

    def slow() -> int:
        calls.append("slow")
        release.wait(5)
        return 42

    threads = [threading.Thread(target=lambda: ctx.cached("slow", slow)) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    assert ctx.cached("other", lambda: "fast") == "fast"  # not blocked by "slow"
    release.set()
    for t in threads:
        t.join()
    assert calls == ["slow"] and ctx.cached("slow", slow) == 42


def test_without_vagrant_no_vagrant_verb_runs_and_vagrant_checks_say_why(tmp_path: Path) -> None:
    host = linux_host()
    del host.fake_runner.answers["vagrant --version"]
    (tmp_path / "Vagrantfile").write_text('Vagrant.configure("2") do |config|\nend\n')
    result = run_doctor(host=host, cwd=tmp_path, only=["vagrant", "vagrantfile.validate"])
    statuses = {c.id: (c.status, c.message) for c in result.checks}
    assert statuses["vagrant.installed"][0] is Status.FAIL
    assert statuses["vagrant.plugins"] == (Status.SKIP, "Vagrant is not installed")
    assert statuses["vagrantfile.validate"] == (Status.SKIP, "Vagrant is not installed")
    assert host.fake_runner.count("vagrant", "plugin") == 0 and host.fake_runner.count("vagrant", "validate") == 0
    fix = result.checks[0].fix
    assert fix is not None and fix.commands == ("sudo apt-get install -y vagrant",)


def test_validate_without_a_vagrantfile_is_skipped_saying_so_and_runs_nothing(tmp_path: Path) -> None:
    host = linux_host()
    result = run_doctor(host=host, cwd=tmp_path, only=["vagrantfile.validate"])
    assert [(c.status, c.message) for c in result.checks] == [(Status.SKIP, "no Vagrantfile")]
    assert host.fake_runner.calls == []
