"""RFC 9457 problem details for every error the API can answer with.

DRF's own handler decides status and headers (e.g. `Retry-After` on 429, `WWW-Authenticate` on
401); we reshape the body, map domain errors, answer a database that cannot be reached (restart,
failover, connection lost mid-request) with a 503 and `Retry-After`, and turn anything else
unexpected into a logged 500 whose transaction is rolled back.
"""

import logging
import sqlite3
from http import HTTPStatus

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from infrastructure.http.problem_types import type_uri
from kernel.errors import DomainError
from infrastructure.http.request_id import current_request_id

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Seconds a client should wait before retrying after the database was unavailable: about what a
# PostgreSQL restart takes. Django opens a fresh connection on the next request by itself.
DATABASE_RETRY_AFTER_S = 2


def problem_body(status_code: int, detail: str, *, title: str | None = None, code: str | None = None,
                 errors: list | None = None, instance: str | None = None, request=None) -> dict:
    body = {
        "type": type_uri(code or HTTPStatus(status_code).phrase.lower().replace(" ", "-"), request),
        "title": title or HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "request_id": current_request_id.get(),
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return body


def _flatten(detail, prefix: str = "") -> list[dict]:
    """DRF validation detail (nested dicts/lists) -> [{"field": "lines.0.quantity", "message": ...}]."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = prefix if key == "non_field_errors" else (f"{prefix}.{key}" if prefix else str(key))
            out.extend(_flatten(value, name))
        return out
    if isinstance(detail, list):
        out = []
        for index, item in enumerate(detail):
            if isinstance(item, (dict, list)):
                out.extend(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
            else:
                out.append({"field": prefix or None, "message": str(item)})
        return out
    return [{"field": prefix or None, "message": str(detail)}]


def problem_exception_handler(exc, context):
    request = context.get("request")
    instance = request.get_full_path() if request is not None else None

    if isinstance(exc, DomainError):
        set_rollback()
        errors = [{"field": exc.field, "message": exc.message}] if exc.field else None
        body = problem_body(exc.status, exc.message, title=exc.title, code=_kebab(exc.code), errors=errors,
                            instance=instance, request=request)
        return Response(body, status=exc.status, content_type=PROBLEM_CONTENT_TYPE)

    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent)):
        # Raised while the body is read (Django's own guard); never a 500.
        set_rollback()
        return Response(problem_body(413, "The request body is too large.", code="body-too-large",
                                        instance=instance, request=request), status=413,
                        content_type=PROBLEM_CONTENT_TYPE)

    if isinstance(exc, (OperationalError, InterfaceError)) and database_unavailable(exc):
        # The database went away (restart, lost connection, deadlock): transient, not a bug, so no
        # traceback. The transaction rolled back unless the connection died during COMMIT itself,
        # which is why the answer points at the Idempotency-Key: a retry applies a write once.
        logger.warning("Database unavailable in %s: %s: %s", instance, type(exc).__name__, str(exc).strip())
        set_rollback()
        body = problem_body(503, "The database is unavailable right now. Retry shortly; a write retried with "
                            "the same Idempotency-Key is applied at most once.", code="database-unavailable",
                            instance=instance, request=request)
        return Response(body, status=503, content_type=PROBLEM_CONTENT_TYPE,
                        headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)})

    response = exception_handler(exc, context)
    if response is None:
        # Not an API exception: a bug or an outage. Log it with its traceback, answer 500.
        logger.exception("Unhandled error in %s", instance)
        set_rollback()
        body = problem_body(500, "The server failed to handle this request; it has been logged.", instance=instance,
                            request=request)
        return Response(body, status=500, content_type=PROBLEM_CONTENT_TYPE)

    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
        body = problem_body(response.status_code, detail or "Invalid input.", title="Invalid input",
                            code="validation-error", errors=errors, instance=instance, request=request)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(detail, (dict, list)):
            errors = _flatten(detail)
            detail = "; ".join(e["message"] for e in errors)
        code = getattr(exc, "default_code", None)
        detail = str(detail) or HTTPStatus(response.status_code).phrase
        body = problem_body(response.status_code, detail, code=_kebab(code) if code else None,
                            instance=instance, request=request)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


# SQLSTATE classes that mean the database, not the query, is the trouble: connection exception (08),
# transaction rollback such as deadlock (40), insufficient resources (53), operator intervention
# such as a shutdown or a cancelled statement (57).
_OUTAGE_SQLSTATE_CLASSES = ("08", "40", "53", "57")
_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o")


def database_unavailable(exc) -> bool:
    """Whether a database error is an outage (503, retry) rather than a failed query (a bug: 500).
    SQLite raises OperationalError for both ("database is locked" / "Expression tree is too large")."""
    if isinstance(exc, InterfaceError):
        return True
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        return sqlstate[:2] in _OUTAGE_SQLSTATE_CLASSES
    if isinstance(cause, sqlite3.Error):
        return any(word in str(cause).lower() for word in _SQLITE_TRANSIENT)
    return True  # no answer from the server at all (refused, lost): psycopg gives no SQLSTATE


def _kebab(code: str) -> str:
    # A word starts at a capital after a small letter, or at the last capital of a run ("NotAManager").
    out = []
    for i, ch in enumerate(code):
        if ch.isupper() and i and (code[i - 1].islower()
                                   or (code[i - 1].isupper() and i + 1 < len(code) and code[i + 1].islower())):
            out.append("-")
        out.append(ch.lower())
    return "".join(out).replace("_", "-")


def _is_api(request) -> bool:
    return request.path.startswith("/api/") or "json" in request.headers.get("Accept", "")


def problem_response(request, status_code: int, detail: str, code: str | None = None) -> JsonResponse:
    return JsonResponse(problem_body(status_code, detail, code=code, instance=request.get_full_path(),
                                     request=request),
                        status=status_code, content_type=PROBLEM_CONTENT_TYPE)


# Django-level handlers, for errors raised outside DRF views (unknown URLs, middleware failures).
def handler404(request, exception=None):
    if _is_api(request):
        return problem_response(request, status.HTTP_404_NOT_FOUND, "No resource at this address.")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if _is_api(request):
        return problem_response(request, 500, "The server failed to handle this request; it has been logged.")
    from django.views.defaults import server_error

    return server_error(request)


def handler400(request, exception=None):
    if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent)):
        return problem_response(request, 413, "The request body is too large.", code="body-too-large")
    if _is_api(request):
        return problem_response(request, 400, "Bad request.")
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def handler403(request, exception=None):
    if _is_api(request):
        return problem_response(request, 403, "You do not have permission to perform this action.")
    from django.views.defaults import permission_denied

    return permission_denied(request, exception)
