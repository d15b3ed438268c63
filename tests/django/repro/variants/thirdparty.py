"""shop/background.py, leaking through another package: the task is a function of `countlib`.

The project's own code never touches the ORM here, so the static check sees no database use;
the runtime check sees the connection the pool's thread opened and left open.
"""

from concurrent.futures import Future, ThreadPoolExecutor

from countlib import count_rows
from shop.models import Book

pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="background")
results: list[int] = []
submitted: list[Future[None]] = []


def start() -> None:
    submitted.append(pool.submit(lambda: results.append(count_rows(Book))))
