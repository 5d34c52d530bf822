"""Request ids: taken from the gateway's `X-Request-ID` (or made up), echoed back, and logged.

Each request is logged once, here, with its route's context, user and till (the gunicorn
deployments do not write an access log of their own; the gateway's is the network's view).
"""

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
        from infrastructure.observability import log_context  # here: it imports this module

        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = current_request_id.set(request_id)
        correlation = request.headers.get("X-Correlation-ID", "")
        log_token = log_context.bind(correlation_id=correlation if _VALID.match(correlation) else request_id,
                                     context=context_of_path(request.path))
        started = time.monotonic()
        try:
            response = self.get_response(request)
            elapsed_ms = (time.monotonic() - started) * 1000
            log_context.bind(**who(request))  # known once the view has authenticated the request
            access_logger.info('"%s %s" %s %.1fms', request.method, request.path, response.status_code, elapsed_ms,
                               extra={"method": request.method, "path": request.path,
                                      "status": response.status_code, "duration_ms": round(elapsed_ms, 1)})
        finally:
            log_context.reset(log_token)
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


def context_of_path(path: str) -> str | None:
    """The context an API path belongs to (`/api/v1/reports/...` is reporting's)."""
    from django.conf import settings

    parts = path.split("/", 4)
    if len(parts) > 3 and parts[1] == "api" and parts[2] == "v1":
        name = "reporting" if parts[3] == "reports" else parts[3]
        return name if name in settings.ALL_CONTEXTS else None
    return None


def who(request) -> dict:
    """The user and till a request was authenticated as (DRF sets both on the Django request)."""
    user = getattr(request, "user", None)
    token = getattr(request, "auth", None)
    till = token.get("till") if token is not None and hasattr(token, "get") else None
    return {"user": user.get_username() if user is not None and user.is_authenticated else None, "till": till}


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
