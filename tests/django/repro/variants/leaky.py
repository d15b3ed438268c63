"""shop/background.py, leaking: the thread's connection stays open after the thread ends."""

import threading

from shop.models import Book

results: list[int] = []
started: list[threading.Thread] = []


def count_books() -> None:
    results.append(Book.objects.count())


def start() -> None:
    thread = threading.Thread(target=count_books, name="count-books")
    thread.start()
    started.append(thread)
