"""Tests that must not trip the runtime check (added to a copy of the project as shop/test_not_leaks.py):
the test's own thread, Django's live server and its request threads, a connection shared on purpose,
a thread that closes its own connection, and one whose connection the test's thread closes."""

import json
import threading
import urllib.request

from django.db import connection, connections
from django.test import LiveServerTestCase, TransactionTestCase
from shop.models import Book


class NotLeaks(TransactionTestCase):
    def test_the_tests_own_thread(self):
        self.assertEqual(Book.objects.count(), 0)

    def test_a_connection_shared_on_purpose(self):
        connection.ensure_connection()
        connection.inc_thread_sharing()
        try:
            seen = []
            shared = connections["default"]  # the test's wrapper: `connection` in the thread would be its own
            thread = threading.Thread(target=lambda: seen.append(shared.cursor().close() or 1))
            thread.start()
            thread.join()
            self.assertEqual(seen, [1])
        finally:
            connection.dec_thread_sharing()

    def test_a_thread_that_closes_in_finally(self):
        def work():
            try:
                Book.objects.count()
            finally:
                connections.close_all()

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()

    def test_a_thread_whose_connection_the_test_closes(self):
        opened = []

        def work():
            Book.objects.count()
            opened.append(connections["default"])

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        (wrapper,) = opened
        wrapper.inc_thread_sharing()
        wrapper.close()
        wrapper.dec_thread_sharing()


class LiveServer(LiveServerTestCase):
    def test_a_request_to_the_live_server(self):
        Book.objects.create(title="x")
        with urllib.request.urlopen(f"{self.live_server_url}/books/") as response:
            self.assertEqual(json.load(response), {"books": 1})
