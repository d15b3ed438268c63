"""shop/background.py, fixed: the task closes its thread's connections on every exit path."""

from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connections
from shop.models import Book

pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="background")
results: list[int] = []
submitted: list[Future[None]] = []


def count_books() -> None:
    try:
        results.append(Book.objects.count())
    finally:
        connections.close_all()


def start() -> None:
    submitted.append(pool.submit(count_books))
