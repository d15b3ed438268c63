"""The thread connection-leak analysis, on fixture projects built from dicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import build_file_tree
from vagrantkit.django.threads import Closing, OrmUse, ThreadEntry, ThreadKind, scan_threads

MODELS = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
    published = PublishedManager()


class Audited(models.Model):
    class Meta:
        abstract = True


class Review(Audited):
    text = models.TextField()
"""


def scan(tmp_path: Path, code: str, **more: str) -> list[ThreadEntry]:
    build_file_tree(
        tmp_path, {"manage.py": "", "shop/__init__.py": "", "shop/models.py": MODELS, "shop/work.py": code, **more}
    )
    return list(scan_threads(tmp_path).threads)


def only(tmp_path: Path, code: str, **more: str) -> ThreadEntry:
    entries = scan(tmp_path, code, **more)
    assert len(entries) == 1, entries
    return entries[0]


def test_leaking_thread_subclass_is_reported_at_run_with_the_orm_line(tmp_path: Path) -> None:
    code = """\
import threading

from shop.models import Book


class Fetcher(threading.Thread):
    def run(self):
        titles = [b.title for b in Book.objects.all()]
        print(titles)
"""
    entry = only(tmp_path, code)
    assert entry == ThreadEntry(
        "shop/work.py", 7, ThreadKind.SUBCLASS, "Fetcher.run", OrmUse("shop/work.py", 8, "Book.objects"), Closing.NEVER
    )
    assert entry.leaks


def test_closing_in_finally_is_recognised(tmp_path: Path) -> None:
    code = """\
import threading

from django.db import connections

from .models import Book


class Fetcher(threading.Thread):
    def run(self):
        try:
            Book.objects.count()
        finally:
            connections.close_all()
"""
    entry = only(tmp_path, code)
    assert entry.closing is Closing.FINALLY
    assert entry.orm == OrmUse("shop/work.py", 11, "Book.objects")
    assert not entry.leaks


def test_thread_target_variant_reports_the_thread_call_line(tmp_path: Path) -> None:
    code = """\
from threading import Thread as T

from shop import models


def count():
    return models.Book.objects.count()


def view(request):
    T(target=count, daemon=True).start()
"""
    entry = only(tmp_path, code)
    assert (entry.path, entry.line, entry.kind, entry.name) == ("shop/work.py", 11, ThreadKind.TARGET, "count")
    assert entry.orm == OrmUse("shop/work.py", 7, "models.Book.objects")
    assert entry.leaks


def test_helper_function_in_the_same_module_is_followed(tmp_path: Path) -> None:
    code = """\
import threading as th

from .models import Book


def _store(title):
    book = Book(title=title)
    book.save()


def _fetch_and_store():
    title = call_slow_api()
    _store(title)


def start():
    th.Thread(target=_fetch_and_store).start()
"""
    entry = only(tmp_path, code)
    assert entry.orm == OrmUse("shop/work.py", 8, "book.save()", ("_store",))
    assert entry.closing is Closing.NEVER


def test_helper_in_another_project_module_is_followed(tmp_path: Path) -> None:
    code = """\
import threading

from shop.services import sync


def start():
    threading.Thread(target=sync).start()
"""
    services = """\
from django.db import transaction


def sync():
    with transaction.atomic():
        pass
"""
    entry = only(tmp_path, code, **{"shop/services.py": services})
    assert entry.orm == OrmUse("shop/services.py", 5, "transaction.atomic")
    assert entry.leaks


def test_decorator_that_closes_in_finally_is_recognised(tmp_path: Path) -> None:
    code = """\
import functools
import threading

from django.db import connection

from .models import Book


def closes_db(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        finally:
            connection.close()
    return wrapper


@closes_db
def work():
    Book.objects.update(title="x")


threading.Thread(target=work).start()
"""
    entry = only(tmp_path, code)
    assert (entry.line, entry.closing, entry.leaks) == (24, Closing.FINALLY, False)


def test_context_manager_that_closes_is_recognised_and_code_outside_it_is_not(tmp_path: Path) -> None:
    code = """\
import contextlib
import threading

from django import db

from .models import Book


@contextlib.contextmanager
def db_session():
    try:
        yield
    finally:
        db.connections.close_all()


def covered():
    with db_session():
        Book.objects.first()


def half_covered():
    Book.objects.first()
    with db_session():
        Book.objects.last()


threading.Thread(target=covered).start()
threading.Thread(target=half_covered).start()
"""
    first, second = scan(tmp_path, code)
    assert (first.name, first.closing) == ("covered", Closing.FINALLY)
    assert (second.name, second.closing, second.orm) == (
        "half_covered",
        Closing.HAPPY_PATH,
        OrmUse("shop/work.py", 23, "Book.objects"),
    )
    assert second.leaks


def test_close_without_finally_leaks_when_the_work_raises(tmp_path: Path) -> None:
    code = """\
import threading

from django.db import connections

from .models import Review


def work():
    Review.objects.create(text="x")
    connections.close_all()


threading.Timer(5.0, work).start()
"""
    entry = only(tmp_path, code)
    assert (entry.closing, entry.leaks) == (Closing.HAPPY_PATH, True)
    assert entry.orm == OrmUse("shop/work.py", 9, "Review.objects")


@pytest.mark.parametrize(
    ("settings", "closing", "leaks"),
    [
        (None, Closing.FINALLY, False),  # Django's default CONN_MAX_AGE=0: it closes every connection
        ('DATABASES = {"default": {"ENGINE": "x", "CONN_MAX_AGE": 0}}\n', Closing.FINALLY, False),
        ('DATABASES = {"default": {"ENGINE": "x", "CONN_MAX_AGE": 600}}\n', Closing.NEVER, True),  # persistent
        ("CONN_MAX_AGE = None\n", Closing.NEVER, True),
        (
            'import os\nDATABASES = {"default": {"CONN_MAX_AGE": int(os.environ["AGE"])}}\n',
            Closing.OBSOLETE_ONLY,
            False,
        ),
    ],
    ids=["default", "zero", "persistent", "forever", "computed"],
)
def test_close_old_connections_is_judged_by_conn_max_age(
    settings: str | None, closing: Closing, leaks: bool, tmp_path: Path
) -> None:
    code = """\
import threading

from django.db import close_old_connections

from .models import Book


def work():
    try:
        Book.published.count()
    finally:
        close_old_connections()


threading.Thread(target=work).start()
"""
    entry = only(tmp_path, code, **({"site/settings.py": settings} if settings else {}))
    assert entry.orm == OrmUse("shop/work.py", 10, "Book.published")
    assert (entry.closing, entry.leaks) == (closing, leaks)


def test_close_old_connections_at_the_top_of_an_endless_worker_loop_closes_with_conn_max_age_0(tmp_path: Path) -> None:
    code = """\
import threading
import time

from django.db import close_old_connections

from .models import Book


def worker():
    while True:
        close_old_connections()
        Book.objects.count()
        time.sleep(1)


threading.Thread(target=worker, daemon=True).start()
"""
    assert not only(tmp_path, code).leaks
    persistent = {"site/settings.py": 'DATABASES = {"default": {"CONN_MAX_AGE": 60}}\n'}
    assert only(tmp_path / "persistent", code, **persistent).leaks


def test_lambda_and_partial_targets_are_analysed(tmp_path: Path) -> None:
    code = """\
import threading
from functools import partial

from .models import Book


def rename(pk, title):
    Book.objects.filter(pk=pk).update(title=title)


def start(pk):
    threading.Thread(target=lambda: Book.objects.get(pk=pk).delete()).start()
    threading.Thread(target=partial(rename, pk, "new")).start()
    threading.Thread(None, rename, args=(pk, "x")).start()
"""
    entries = scan(tmp_path, code)
    assert [(e.line, e.name, e.orm.line if e.orm else None, e.leaks) for e in entries] == [
        (12, "lambda: Book.objects.get(pk=pk).delete()", 12, True),
        (13, "partial(rename, pk, 'new')", 8, True),
        (14, "rename", 8, True),
    ]


def test_an_entry_names_the_function_inside_partials_and_says_when_it_is_a_lambda(tmp_path: Path) -> None:
    code = """\
import threading
from functools import partial

from .models import Book


def rename(pk, title):
    Book.objects.filter(pk=pk).update(title=title)


threading.Thread(target=partial(partial(rename, 1), "x")).start()
threading.Thread(target=partial(lambda pk: Book.objects.get(pk=pk).delete(), 1)).start()
threading.Thread(target=lambda: rename(2, "a title long enough to make this lambda over sixty characters")).start()
threading.Thread(target=rename, args=(3, "y")).start()
"""
    entries = scan(tmp_path, code)
    assert [(e.line, e.name, e.function, e.runs_lambda) for e in entries] == [
        (11, "partial(partial(rename, 1), 'x')", "rename", False),
        (
            12,
            "partial(lambda pk: Book.objects.get(pk=pk).delete(), 1)",
            "lambda pk: Book.objects.get(pk=pk).delete()",
            True,
        ),
        (13, "<lambda>", None, True),
        (14, "rename", None, False),
    ]


def test_method_targets_and_nested_functions_are_resolved(tmp_path: Path) -> None:
    code = """\
import threading

from django.db import connection


class Importer:
    def start(self):
        threading.Thread(target=self._import).start()

    def _import(self):
        self._write()

    def _write(self):
        with connection.cursor() as cursor:
            cursor.execute("select 1")


def view(request):
    def background():
        request.user.save()

    threading.Thread(target=background).start()
"""
    first, second = scan(tmp_path, code)
    assert (first.name, first.orm) == (
        "Importer._import",
        OrmUse("shop/work.py", 14, "connection.cursor", ("Importer._write",)),
    )
    assert (second.name, second.orm) == ("background", OrmUse("shop/work.py", 20, "request.user.save()"))


def test_subclass_closing_around_super_run_covers_its_targets(tmp_path: Path) -> None:
    code = """\
import threading

from django.db import connections

from .models import Book


class DBThread(threading.Thread):
    def run(self):
        try:
            super().run()
        finally:
            connections.close_all()


def work():
    Book.objects.count()


DBThread(target=work).start()
"""
    entries = scan(tmp_path, code)
    assert [(e.name, e.orm is not None, e.closing) for e in entries] == [
        ("DBThread.run", False, Closing.NOT_NEEDED),
        ("work", True, Closing.FINALLY),
    ]


def test_subclass_of_a_project_thread_class_is_found(tmp_path: Path) -> None:
    code = """\
from shop.base import Base

from .models import Book


class Worker(Base):
    def run(self):
        for book in Book.objects.iterator():
            book.save(update_fields=["title"])
"""
    base = "import threading\n\n\nclass Base(threading.Thread):\n    daemon = True\n"
    entry = only(tmp_path, code, **{"shop/base.py": base})
    assert (entry.name, entry.leaks) == ("Worker.run", True)


def test_thread_that_never_touches_the_orm_is_not_reported(tmp_path: Path) -> None:
    code = """\
import threading

import boto3
import requests
from django.core.cache import cache
from google.cloud import storage
from PIL import Image


def notify(url, path):
    requests.delete(url, timeout=5)
    cache.delete("pending")
    Image.open(path).save(path + ".png")
    requests.Session().close()
    s3 = boto3.resource("s3")
    obj = s3.Object("bucket", "key")
    obj.delete()
    for blob in storage.Client().list_blobs("bucket"):
        blob.delete()


threading.Thread(target=notify, args=("https://example.com", "a.jpg")).start()
"""
    entry = only(tmp_path, code)
    assert (entry.orm, entry.closing, entry.leaks) == (None, Closing.NOT_NEEDED, False)


def test_instances_made_by_the_orm_count_through_local_names(tmp_path: Path) -> None:
    code = """\
import threading

from .models import Book


def work(pk):
    first = Book.objects.filter(pk=pk)[0]
    first.refresh_from_db()


threading.Thread(target=work, args=(1,)).start()
"""
    assert only(tmp_path, code).orm == OrmUse("shop/work.py", 7, "Book.objects")


def test_queryset_looking_names_that_are_not_the_orm_are_not_reported(tmp_path: Path) -> None:
    code = """\
import sqlite3
import threading


class Registry:
    objects = []


class Worker(threading.Thread):
    objects = {}

    def run(self):
        Registry.objects.append(1)
        self.objects.clear()
        connection = sqlite3.connect(":memory:")
        connection.execute("select 1")
        self.save()

    def save(self):
        pass
"""
    entry = only(tmp_path, code)
    assert entry.orm is None


def test_no_threads_no_entries_and_unparsable_files_are_listed(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "shop/models.py": MODELS,
            "shop/broken.py": "import threading\nthreading.Thread(target=oops(:\n",
            "shop/generated.py": "from threading import Thread\nx = " + "+".join(["1"] * 200_000) + "\n",
            "shop/unused.py": "def never_imported(:\n",
            ".venv/lib/site.py": "import threading\nthreading.Thread(target=print).start()\n",
        },
    )
    result = scan_threads(tmp_path)
    assert result.threads == () and result.starts == ()
    assert result.files == 4
    # A file that may start a thread and cannot be parsed (a syntax error; an expression too deep for
    # Python's own parser) is not checked, and said so; one no thread can reach is not even read as code.
    assert dict(result.unparsable) == {
        "shop/broken.py": "line 2: invalid syntax",
        "shop/generated.py": "RecursionError: maximum recursion depth exceeded during ast construction",
    }


def test_every_thread_start_is_listed_even_when_its_target_is_unknown(tmp_path: Path) -> None:
    code = """\
import threading
import somewhere


threading.Thread(target=somewhere.work).start()
"""
    build_file_tree(tmp_path, {"shop/work.py": code})
    result = scan_threads(tmp_path)
    assert result.starts == ("shop/work.py:5",)
    assert result.threads == ()


def test_thread_pool_tasks_are_analysed(tmp_path: Path) -> None:
    code = """\
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

from .models import Book

POOL = ThreadPoolExecutor(max_workers=4)


def touch(pk):
    Book.objects.filter(pk=pk).update(title="x")


def touch_and_close(pk):
    try:
        touch(pk)
    finally:
        connections.close_all()


def start(pks):
    with ThreadPoolExecutor() as pool:
        list(pool.map(touch, pks))
    POOL.submit(touch_and_close, 1)
    results = {}
    results.submit = print
"""
    entries = scan(tmp_path, code)
    assert [(e.line, e.kind, e.name, e.leaks) for e in entries] == [
        (23, ThreadKind.POOL, "touch", True),
        (24, ThreadKind.POOL, "touch_and_close", False),
    ]


def test_rebinding_connections_is_not_a_use(tmp_path: Path) -> None:
    code = """\
import threading

from django.db import connections


class Server(threading.Thread):
    def run(self):
        for alias, conn in self.overrides.items():
            connections[alias] = conn
"""
    assert only(tmp_path, code).orm is None


def test_asyncio_executor_threads_are_analysed(tmp_path: Path) -> None:
    code = """\
import asyncio

from .models import Book


def count():
    return Book.objects.count()


async def view(request):
    await asyncio.to_thread(count)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, count)
"""
    entries = scan(tmp_path, code)
    assert [(e.line, e.kind, e.name, e.leaks) for e in entries] == [
        (11, ThreadKind.POOL, "count", True),
        (13, ThreadKind.POOL, "count", True),
    ]


def test_an_early_return_before_the_close_leaks(tmp_path: Path) -> None:
    code = """\
import threading

from django.db import connections

from .models import Book


def work(flag):
    if flag:
        return Book.objects.count()
    Book.objects.first()
    connections.close_all()


threading.Thread(target=work, args=(True,)).start()
"""
    entry = only(tmp_path, code)
    assert (entry.orm, entry.closing, entry.leaks) == (
        OrmUse("shop/work.py", 10, "Book.objects"),
        Closing.HAPPY_PATH,
        True,
    )
