"""The real thing: Django's test runner against a real PostgreSQL, with and without the fix.

The reproduction project (tests/django/repro) has one model and one view that counts the rows in a
thread-pool task. Without the fix the pool's worker thread keeps its connection open after the task,
and PostgreSQL refuses to drop the test database at the end of the run; with ``connections.close_all()`` in a ``finally`` the run
passes. The static analysis must agree with what the server saw.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.django.conftest import Postgres, django_context, repro_project
from vagrantkit.django.threads import Closing, OrmUse, scan_threads
from vagrantkit.doctor.checks.django import thread_connections
from vagrantkit.doctor.model import Status
from vagrantkit.process import Completed, run

pytestmark = pytest.mark.slow


def manage_py_test(project: Path, postgres: Postgres, name: str) -> Completed:
    return run(
        [sys.executable, "manage.py", "test", "--noinput", "-v", "1"],
        cwd=project,
        env={**postgres.env(name), "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=120,
    )


def line_of(project: Path, text: str) -> int:
    """The number of the line of shop/background.py that holds ``text``."""
    lines = (project / "shop" / "background.py").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def doctor_django(cli_runner: Cli, project: Path) -> dict[str, str]:
    """`vagrantkit doctor --django PROJECT django`: {check id: status}."""
    result = cli_runner("doctor", "--django", str(project), "--json", "django")
    return {c["id"]: c["status"] for c in json.loads(result.stdout)["data"]["checks"]}


def test_leaking_thread_keeps_postgres_from_dropping_the_test_database(
    tmp_path: Path, postgres: Postgres, cli_runner: Cli
) -> None:
    project = repro_project(tmp_path, "leaky")
    done = manage_py_test(project, postgres, "repro_leaky")
    output = done.stdout + done.stderr
    # The test itself passes; the run fails afterwards, in teardown.
    assert "Ran 1 test" in output and "\nOK" in output, output
    assert done.returncode != 0, output
    assert 'database "test_repro_leaky" is being accessed by other users' in output, output

    submit, orm = line_of(project, "pool.submit(count_books)"), line_of(project, "Book.objects")
    (leak,) = scan_threads(project).leaks
    assert (leak.path, leak.line, leak.name) == ("shop/background.py", submit, "count_books")
    assert (leak.closing, leak.orm) == (Closing.NEVER, OrmUse("shop/background.py", orm, "Book.objects"))
    (finding,) = thread_connections(django_context(project, mounts=""))
    assert (finding.status, finding.key) == (Status.FAIL, f"shop/background.py:{submit}")
    assert doctor_django(cli_runner, project)[f"django.thread-connections:shop/background.py:{submit}"] == "fail"


def test_closing_in_finally_lets_the_run_pass(tmp_path: Path, postgres: Postgres, cli_runner: Cli) -> None:
    project = repro_project(tmp_path, "fixed")
    done = manage_py_test(project, postgres, "repro_fixed")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Destroying test database" in output and "accessed by other users" not in output, output

    scan = scan_threads(project)
    assert scan.leaks == ()
    (thread,) = scan.threads
    assert (thread.name, thread.closing) == ("count_books", Closing.FINALLY)
    (finding,) = thread_connections(django_context(project, mounts=""))
    assert finding.status is Status.PASS
    assert doctor_django(cli_runner, project)["django.thread-connections"] == "pass"
