from django.http import JsonResponse

from shop import background


def count(request):
    """Count the books in a thread, so that the response does not wait for it."""
    background.start()
    return JsonResponse({"started": True})
