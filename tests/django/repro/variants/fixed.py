"""shop/background.py, fixed: the thread closes its connections on every exit path."""

import threading

from django.db import connections
from shop.models import Book

results: list[int] = []
started: list[threading.Thread] = []


def count_books() -> None:
    try:
        results.append(Book.objects.count())
    finally:
        connections.close_all()


def start() -> None:
    thread = threading.Thread(target=count_books, name="count-books")
    thread.start()
    started.append(thread)
