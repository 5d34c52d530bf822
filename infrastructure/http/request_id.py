"""Request ids: taken from the gateway's `X-Request-ID` (or made up), echoed back, and logged."""

import contextvars
import logging
import re
import time
import uuid

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# Accept only short, printable ids from outside, so a header cannot inject into logs.
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# One line per request, written while its id is current (so the formatter's [%(request_id)s]
# names it): what the gateway's access log says, from the application's side.
access_logger = logging.getLogger("pos.requests")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = current_request_id.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            access_logger.info('"%s %s" %s %.1fms', request.method, request.path, response.status_code,
                               (time.monotonic() - started) * 1000)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record):
        record.request_id = current_request_id.get()
        return True
