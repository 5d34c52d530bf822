"""One handler per command type; each runs in one database transaction (the unit of work).

    @handles(ReceiveStock, retry_on_conflict=True)
    def receive_stock(cmd: ReceiveStock, uow: UnitOfWork) -> dict:
        products = uow.repository(Product)
        product = products.get(cmd.product_id)
        product.receive(cmd.quantity, cmd.reference)
        products.save(product)
        return {"id": product.id, "version": product.version}

`retry_on_conflict` re-runs the whole handler (fresh load, fresh decision) when another writer
got there first; only mark handlers whose decision is safe to re-take. Otherwise the conflict
reaches the caller (a 409 in the API).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from infrastructure.aggregates.repository import Repository
from infrastructure.commands.metadata import Metadata
from kernel.errors import ConcurrencyConflict, DomainError
from infrastructure.eventstore.databases import db_for
from infrastructure.observability import log_context, metrics

CONFLICT_RETRIES = 3


class UnitOfWork:
    def __init__(self, context: str, metadata: Metadata):
        self.context = context
        self.metadata = metadata
        self.db = db_for(context)

    def repository(self, aggregate_cls) -> Repository:
        if aggregate_cls.context != self.context:
            raise TypeError(f"{aggregate_cls.__name__} belongs to {aggregate_cls.context}, not {self.context}")
        # No savepoint around each append: on ConcurrencyConflict `execute` rolls the handler's
        # whole transaction back (and retries it), so a savepoint would only cost round trips.
        return Repository(aggregate_cls, self.metadata.as_dict(), savepoint=False)


@dataclass(frozen=True)
class _Handler:
    fn: Callable[[Any, UnitOfWork], Any]
    context: str
    retry_on_conflict: bool


_HANDLERS: dict[type, _Handler] = {}


def handles(command_cls: type, *, context: str | None = None, retry_on_conflict: bool = False):
    """Register the decorated function as the one handler of `command_cls`. The context
    defaults to the package the handler lives in (`contexts.<name>....`)."""

    def register(fn):
        ctx = context or _context_of_module(fn.__module__)
        if command_cls in _HANDLERS and _HANDLERS[command_cls].fn is not fn:
            raise TypeError(f"{command_cls.__name__} already has a handler")
        _HANDLERS[command_cls] = _Handler(fn, ctx, retry_on_conflict)
        return fn

    return register


def _context_of_module(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "contexts":
        return parts[1]
    raise TypeError(f"Cannot tell the context of handler module {module}; pass context=")


def execute(command, metadata: Metadata | None = None):
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise LookupError(f"No handler registered for {type(command).__name__}")
    metadata = metadata or Metadata.new()
    name = type(command).__name__
    started, outcome = time.perf_counter(), "failed"
    log_token = log_context.bind(context=handler.context, correlation_id=metadata.correlation_id,
                                 user=metadata.user, till=metadata.till)
    try:
        result = _run(handler, command, metadata)
        outcome = "ok"
        return result
    except DomainError:
        outcome = "refused"  # the aggregate said no (a 4xx), as opposed to a failure
        raise
    finally:
        log_context.reset(log_token)
        metrics.COMMANDS.labels(command=name, context=handler.context, outcome=outcome).inc()
        metrics.COMMAND_SECONDS.labels(command=name, context=handler.context).observe(time.perf_counter() - started)


def _run(handler: _Handler, command, metadata: Metadata):
    attempts = CONFLICT_RETRIES if handler.retry_on_conflict else 1
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic(using=db_for(handler.context)):
                return handler.fn(command, UnitOfWork(handler.context, metadata))
        except ConcurrencyConflict:
            if attempt == attempts:
                raise
