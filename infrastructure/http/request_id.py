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


# Control characters (newlines above all) and Unicode line separators, as escapes: a request path
# like "/health/live%0A2026-12-01 ... INFO pos.requests [forged]" must not write a second line.
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F)}
_CONTROLS.update({0x85: "\\x85", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def escape_controls(text: str) -> str:
    return text.translate(_CONTROLS)


class SingleLineFormatter(logging.Formatter):
    """A log record's message on one line, whatever the client put in it (tracebacks, which come
    after the message, keep their lines)."""

    def formatMessage(self, record):
        record.message = escape_controls(record.message)
        return super().formatMessage(record)
