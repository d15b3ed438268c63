"""The real thing: Django's test runner against a real PostgreSQL, with and without the fix.

The reproduction project (tests/django/repro) has one model and one view that counts the rows in a
thread. Without the fix the thread's connection outlives the thread, and PostgreSQL refuses to drop
the test database at the end of the run; with ``connections.close_all()`` in a ``finally`` the run
passes. The static analysis must agree with what the server saw.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.django.conftest import Postgres, django_context, repro_project
from vagrantkit.django.threads import Closing, OrmUse, scan_threads
from vagrantkit.doctor.checks.django import thread_connections
from vagrantkit.doctor.model import Status

pytestmark = pytest.mark.slow


def manage_py_test(project: Path, postgres: Postgres, name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "test", "--noinput", "-v", "1"],
        cwd=project,
        env={**postgres.env(name), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


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

    (leak,) = scan_threads(project).leaks
    assert (leak.path, leak.line, leak.name, leak.closing) == ("shop/background.py", 16, "count_books", Closing.NEVER)
    assert leak.orm == OrmUse("shop/background.py", 12, "Book.objects")
    (finding,) = thread_connections(django_context(project, mounts=""))
    assert (finding.status, finding.key) == (Status.FAIL, "shop/background.py:16")
    assert doctor_django(cli_runner, project)["django.thread-connections:shop/background.py:16"] == "fail"


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
