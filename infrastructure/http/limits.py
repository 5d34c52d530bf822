"""Request body limit: a body over `DATA_UPLOAD_MAX_MEMORY_SIZE` bytes is refused up front with
413 problem details, before anything reads it.

Django enforces the limit only when `request.body` or `request.POST` is read (and turns it into a
plain 400); DRF's JSON parser reads the raw stream and would not check it at all. So the size is
judged from `Content-Length` here, for every request. A body without a length (chunked) reaches
Django as an empty stream under WSGI, so it cannot carry more.
"""

from django.conf import settings
from django.http import HttpResponse

from infrastructure.http.problems import problem_response


def too_large(request, limit: int):
    detail = f"The request body is larger than {limit} bytes."
    if request.path.startswith("/api/"):
        return problem_response(request, 413, detail, code="body-too-large")
    return HttpResponse(detail, status=413, content_type="text/plain")


class BodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return problem_response(request, 400, "The Content-Length header is not a number.")
        if length < 0:
            return problem_response(request, 400, "The Content-Length header is negative.")
        if limit is not None and length > limit:
            return too_large(request, limit)
        return self.get_response(request)
