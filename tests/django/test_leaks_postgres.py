"""The runtime leak check on the real reproduction: Django's test runner and pytest, against a real PostgreSQL.

The check fails the test that leaves a connection of another thread open, naming the thread, what it
runs and the line that opened the connection, and closes that connection: PostgreSQL's "being
accessed by other users" at the end of the run never comes. It catches a leak through another
package that the static analysis cannot see, and stays quiet for what is not a leak.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.django.conftest import REPRO, Postgres, repro_project
from vagrantkit.django.threads import scan_threads
from vagrantkit.process import Completed, run

pytestmark = pytest.mark.slow
VENDOR = REPRO / "vendor"
ACCESSED = "OperationalError"  # PostgreSQL refusing to drop the test database: "is being accessed by other users"


def project_with(tmp_path: Path, variant: str, *, runner: bool = False, not_leaks: bool = False) -> Path:
    project = repro_project(tmp_path, variant)
    if runner:
        with (project / "reprosite" / "settings.py").open("a") as settings:
            settings.write('\nTEST_RUNNER = "vagrantkit.django.LeakCheckingRunner"\n')
    if not_leaks:
        shutil.copyfile(REPRO / "variants" / "not_leaks.py", project / "shop" / "test_not_leaks.py")
    return project


def env(postgres: Postgres, name: str) -> dict[str, str]:
    # countlib stands for an installed package: importable, outside the project.
    return {**postgres.env(name), "PYTHONPATH": str(VENDOR), "PYTHONDONTWRITEBYTECODE": "1"}


def manage_py_test(project: Path, postgres: Postgres, name: str) -> Completed:
    return run(
        [sys.executable, "manage.py", "test", "--noinput", "-v", "2"],
        cwd=project,
        env=env(postgres, name),
        timeout=180,
    )


def pytest_run(project: Path, postgres: Postgres, name: str, *args: str) -> Completed:
    return run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--ds", "reprosite.settings", "-q", *args],
        cwd=project,
        env=env(postgres, name),
        timeout=180,
    )


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_the_runner_fails_the_leaking_test_naming_thread_target_and_line(tmp_path: Path, postgres: Postgres) -> None:
    project = project_with(tmp_path, "leaky", runner=True)
    done = manage_py_test(project, postgres, "leak_runner")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "test_view_counts_the_books_in_a_thread (shop.tests.CountInBackground" in output and "FAIL" in output
    orm = line_of(project / "shop" / "background.py", "Book.objects")
    assert (
        "1 database connection left open by other threads:\n"
        f"  - thread 'background_0' (still running, target count_books (shop/background.py:{orm})) opened database "
        f"connection 'default' at shop/background.py:{orm} (results.append(Book.objects.count())) and left it open"
    ) in output, output
    assert "django.db.connections.close_all()" in output
    # The connection was closed by the check: the test database is dropped as usual.
    assert ACCESSED not in output and "Destroying test database" in output, output


def test_the_runner_passes_the_fixed_project_and_what_is_not_a_leak(tmp_path: Path, postgres: Postgres) -> None:
    project = project_with(tmp_path, "fixed", runner=True, not_leaks=True)
    done = manage_py_test(project, postgres, "fixed_runner")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Ran 6 tests" in output and "left open" not in output, output


def test_a_leak_through_another_package_is_caught_at_run_time_though_not_seen_statically(
    tmp_path: Path, postgres: Postgres
) -> None:
    project = project_with(tmp_path, "thirdparty", runner=True)
    assert scan_threads(project).leaks == ()  # the ORM use is in countlib, which the project does not hold
    done = manage_py_test(project, postgres, "leak_thirdparty")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    submit = line_of(project / "shop" / "background.py", "pool.submit")
    opened = line_of(VENDOR / "countlib" / "__init__.py", "model.objects.count()")
    assert re.search(
        rf"thread 'background_0' \(still running, target <lambda> \(shop/background.py:{submit}\)\) opened database "
        rf"connection 'default' at \S*countlib/__init__.py:{opened} \(return model.objects.count\(\)\)",
        output,
    ), output
    assert ACCESSED not in output, output


@pytest.mark.parametrize("how", [["-p", "vagrantkit.django"], ["--leak-check"], ["-o", "vagrantkit_leak_check=true"]])
def test_the_pytest_plugin_fails_the_leaking_test(how: list[str], tmp_path: Path, postgres: Postgres) -> None:
    project = project_with(tmp_path, "leaky")
    done = pytest_run(project, postgres, "leak_pytest", *how, "shop/tests.py")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "1 failed" in output and "ConnectionLeak" in output, output
    orm = line_of(project / "shop" / "background.py", "Book.objects")
    assert f"thread 'background_0' (still running, target count_books (shop/background.py:{orm}))" in output, output
    assert ACCESSED not in output, output


def test_the_pytest_plugin_passes_what_is_not_a_leak_and_is_off_unless_asked(
    tmp_path: Path, postgres: Postgres
) -> None:
    project = project_with(tmp_path, "fixed", not_leaks=True)
    done = pytest_run(
        project, postgres, "fixed_pytest", "-p", "vagrantkit.django", "shop/tests.py", "shop/test_not_leaks.py"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 passed" in done.stdout, done.stdout
    leaky = project_with(tmp_path / "off", "leaky")
    off = pytest_run(leaky, postgres, "leak_off", "shop/tests.py")
    assert "ConnectionLeak" not in off.stdout + off.stderr  # installed, but inert until asked for
