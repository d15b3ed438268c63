"""shop/background.py, leaking: the pool's worker thread keeps its connection open after the task.

A worker of a ThreadPoolExecutor lives as long as the pool, and with it the connection Django opened
for it. (A plain Thread that ends drops its connection only when the garbage collector gets to it:
that leak comes and goes with timing, this one does not.)
"""

from concurrent.futures import Future, ThreadPoolExecutor

from shop.models import Book

pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="background")
results: list[int] = []
submitted: list[Future[None]] = []


def count_books() -> None:
    results.append(Book.objects.count())


def start() -> None:
    submitted.append(pool.submit(count_books))
