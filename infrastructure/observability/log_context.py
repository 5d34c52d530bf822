"""What every log line says about the work it belongs to: request id, correlation id, context,
user and till, whichever apply.

    with bound(context="reporting"):          # a consumer's thread, a relay's pass
        logger.info("...")                     # the line carries context=reporting

The values live in a context variable (per thread, per request), set by the request middleware
(infrastructure/http/request_id.py), the command bus, the relay and the consumer loop, and copied
onto each record by `LogContextFilter` (settings.LOGGING), for the plain and the JSON format alike.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from infrastructure.http.request_id import current_request_id

FIELDS = ("correlation_id", "context", "user", "till")

_current: contextvars.ContextVar[dict] = contextvars.ContextVar("pos_log_context", default={})


def bind(**fields) -> contextvars.Token:
    """Add `fields` (None values ignored) to the current log context; `reset(token)` undoes it."""
    return _current.set({**_current.get(), **{k: str(v) for k, v in fields.items() if v is not None}})


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


@contextmanager
def bound(**fields) -> Iterator[None]:
    token = bind(**fields)
    try:
        yield
    finally:
        reset(token)


class LogContextFilter(logging.Filter):
    def filter(self, record):
        record.request_id = current_request_id.get()
        values = _current.get()
        for name in FIELDS:
            if not hasattr(record, name):  # a value given with `extra=` wins
                setattr(record, name, values.get(name, "-"))
        return True
