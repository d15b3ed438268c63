from django.http import JsonResponse

from shop import background
from shop.models import Book


def count(request):
    """Count the books in a thread, so that the response does not wait for it."""
    background.start()
    return JsonResponse({"started": True})


def books(request):
    """Count the books in the request's own thread (Django closes its connection when the request ends)."""
    return JsonResponse({"books": Book.objects.count()})
