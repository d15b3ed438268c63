from django.test import TransactionTestCase

from shop import background
from shop.models import Book


class CountInBackground(TransactionTestCase):
    # TransactionTestCase: the pool's thread has a connection of its own and sees committed rows only.
    def test_view_counts_the_books_in_a_thread(self):
        Book.objects.create(title="Two Scoops of Django")
        response = self.client.get("/count/")
        for task in background.submitted:
            task.result(timeout=10)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(background.results, [1])
