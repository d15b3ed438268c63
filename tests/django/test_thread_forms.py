"""Synthetic cases, one per form the analysis follows: what a thread really runs and how it starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.django.test_threads import only, scan

REPO = """\
from shop.models import Book


class Repo:
    def count(self):
        return Book.objects.count()
"""


@pytest.mark.parametrize(
    "code",
    [
        # a method through an instance bound in the function
        "import threading\nfrom shop.repo import Repo\n\ndef start():\n    repo = Repo()\n    threading.Thread(target=repo.count).start()\n",
        # through an instance made right there
        "import threading\nfrom shop.repo import Repo\n\ndef work():\n    Repo().count()\n\ndef start():\n    threading.Thread(target=work).start()\n",
        # through a module-level instance
        "import threading\nfrom shop.repo import Repo\n\nrepo = Repo()\n\ndef start():\n    threading.Thread(target=repo.count).start()\n",
        # through self.attr set in __init__
        "import threading\nfrom shop.repo import Repo\n\nclass Service:\n    def __init__(self):\n        self.repo = Repo()\n\n    def work(self):\n        self.repo.count()\n\n    def start(self):\n        threading.Thread(target=self.work).start()\n",
        # through an annotated parameter
        "import threading\nfrom shop.repo import Repo\n\ndef work(repo: Repo):\n    repo.count()\n\ndef start(repo):\n    threading.Thread(target=work, args=(repo,)).start()\n",
        # a callback handed in args=, run by a loop of the project
        "import threading, time\nfrom shop.models import Book\n\ndef every(callback, delay):\n    while True:\n        callback()\n        time.sleep(delay)\n\ndef purge():\n    Book.objects.all().delete()\n\nthreading.Thread(target=every, args=[lambda: purge(), 5], daemon=True).start()\n",
        # multiprocessing's ThreadPool, with func=
        "from multiprocessing.pool import ThreadPool\nfrom shop.models import Book\n\npool = ThreadPool(2)\n\ndef work():\n    Book.objects.count()\n\ndef start():\n    pool.apply_async(func=work)\n",
        # an executor imported from another module
        "from shop.pools import executor\nfrom shop.models import Book\n\ndef work():\n    Book.objects.count()\n\ndef start():\n    executor.submit(work)\n",
        # an executor held in an attribute
        "from concurrent.futures import ThreadPoolExecutor\nfrom shop.models import Book\n\nclass Jobs:\n    def __init__(self):\n        self.pool = ThreadPoolExecutor(2)\n\n    def work(self):\n        Book.objects.count()\n\n    def start(self):\n        self.pool.submit(self.work)\n",
        # a future's callback, run in the worker thread
        "from concurrent.futures import ThreadPoolExecutor\nfrom shop.models import Book\n\npool = ThreadPoolExecutor(2)\n\ndef done(future):\n    Book.objects.count()\n\ndef start():\n    pool.submit(print).add_done_callback(done)\n",
    ],
    ids=[
        "bound",
        "made",
        "module-level",
        "self-attr",
        "annotated",
        "callback",
        "threadpool",
        "imported-executor",
        "pool-attr",
        "done-callback",
    ],
)
def test_the_orm_is_found_through_the_form(code: str, tmp_path: Path) -> None:
    entries = scan(
        tmp_path,
        code,
        **{
            "shop/repo.py": REPO,
            "shop/pools.py": "from concurrent.futures import ThreadPoolExecutor\n\nexecutor = ThreadPoolExecutor(4)\n",
        },
    )
    leaking = [e for e in entries if e.leaks]
    assert len(leaking) == 1, entries
    assert leaking[0].orm is not None and "objects" in leaking[0].orm.what


def test_the_last_definition_of_a_name_wins(tmp_path: Path) -> None:
    code = """\
import threading
from shop.models import Book


def start():
    def work():
        Book.objects.count()

    def work():
        return 1

    threading.Thread(target=work).start()
"""
    entry = only(tmp_path, code)
    assert entry.orm is None and not entry.leaks


def test_a_signal_receivers_instance_is_the_sender_model(tmp_path: Path) -> None:
    models = """\
from django.db import models


class Email(models.Model):
    sent = models.BooleanField(default=False)

    def send(self):
        self.sent = True
        self.save()
"""
    code = """\
import threading
from django.db.models.signals import post_save
from django.dispatch import receiver
from shop.models import Email


@receiver(post_save, sender=Email)
def send_email(sender, instance, **kwargs):
    threading.Thread(target=instance.send).start()
"""
    entry = only(tmp_path, code, **{"shop/models.py": models})
    assert entry.leaks and entry.orm is not None and entry.orm.what == "self.save()"


@pytest.mark.parametrize(
    "body",
    [
        "    if connection.connection is not None:\n        connection.close()\n",  # the guard in a finally
        "    connections['default']\n    connections.all()\n",  # naming connections opens nothing
    ],
)
def test_naming_the_connection_is_not_database_use(body: str, tmp_path: Path) -> None:
    code = f"import threading\nfrom django.db import connection, connections\n\ndef work():\n{body}\nthreading.Thread(target=work).start()\n"
    entry = only(tmp_path, code)
    assert entry.orm is None and not entry.leaks


def test_a_thread_working_on_a_connection_handed_to_it_does_not_leak(tmp_path: Path) -> None:
    code = """\
import threading
from django.db import connections
from shop.models import Book


def runner(shared):
    connections["default"] = shared
    Book.objects.count()


def start():
    threading.Thread(target=runner, args=[connections["default"]]).start()
"""
    assert not only(tmp_path, code).leaks


@pytest.mark.parametrize(
    ("finally_body", "closing"),
    [
        ("        close_db()\n", "finally"),  # a helper that closes, called in the finally
        ("        if connection.connection is not None:\n            connection.close()\n", "finally"),  # guarded
        ("        if settings.DEBUG:\n            connections.close_all()\n", "happy-path"),  # may be skipped
    ],
    ids=["helper", "guarded", "conditional"],
)
def test_a_close_is_a_close_on_every_exit_path_only(finally_body: str, closing: str, tmp_path: Path) -> None:
    code = f"""\
import threading
from django.conf import settings
from django.db import connection, connections
from shop.models import Book


def close_db():
    connections.close_all()


def work():
    try:
        Book.objects.count()
    finally:
{finally_body}

threading.Thread(target=work).start()
"""
    entry = only(tmp_path, code)
    assert entry.orm is not None
    assert entry.closing.value in ((closing,) if closing == "finally" else ("happy-path", "never"))
    assert entry.leaks is (closing != "finally")


def test_two_findings_on_one_line_get_two_ids() -> None:
    from vagrantkit.doctor.model import REGISTRY, Finding, Fix, iter_results, load_checks

    load_checks()
    check = REGISTRY["django.thread-connections"]
    found = [Finding.fail(m, fix=Fix("x"), key="shop/work.py:9") for m in ("a", "b")]
    assert [r.id for r in iter_results(check, found)] == [
        "django.thread-connections:shop/work.py:9",
        "django.thread-connections:shop/work.py:9:2",
    ]


def test_a_thread_running_code_outside_the_project_is_said_to_be_not_checked(tmp_path: Path) -> None:
    from tests.django.test_checks import context, project, run
    from vagrantkit.doctor.checks.django import thread_connections

    code = 'import threading\nfrom django.core.management import call_command\n\nthreading.Thread(target=call_command, args=("archive",)).start()\n'
    (finding,) = run(thread_connections, context(project(tmp_path, code)))
    assert "1 run code this check cannot follow" in finding.message and "pytest -p vagrantkit.django" in finding.message
    assert finding.details == ("shop/background.py:4: what the thread runs is not in the project: not checked",)


def test_sync_to_async_not_thread_sensitive_runs_in_a_thread_of_its_own(tmp_path: Path) -> None:
    code = """\
from asgiref.sync import sync_to_async
from shop.models import Book


def count():
    return Book.objects.count()


async def view(request):
    return await sync_to_async(count, thread_sensitive=False)()


async def fine(request):
    return await sync_to_async(count)()  # thread-sensitive: the main thread's connection
"""
    (entry,) = [e for e in scan(tmp_path, code)]
    assert entry.leaks and entry.name == "count"


def test_save_on_an_object_of_another_orm_is_not_djangos(tmp_path: Path) -> None:
    code = """\
import threading
import peewee


def work(record):
    record.save()


threading.Thread(target=work, args=(1,)).start()
"""
    entry = only(tmp_path, code)
    assert entry.orm is None and not entry.leaks


def test_why_a_leak_matters_is_said_once_not_under_every_leak(tmp_path: Path) -> None:
    from tests.django.test_checks import context, project, run
    from vagrantkit.doctor.checks.django import thread_connections

    code = (
        "import threading\nfrom .models import Book\n\ndef a():\n    Book.objects.count()\n\n"
        "def b():\n    Book.objects.count()\n\nthreading.Thread(target=a).start()\nthreading.Thread(target=b).start()\n"
    )
    first, second = run(thread_connections, context(project(tmp_path, code)))
    assert any("is being accessed by other users" in d for d in first.details)
    assert second.details == ()
