"""Start a relay run for a context right after a commit that added events to its outbox.

`EventStore.append` calls `kick_relay(context)` from `transaction.on_commit`, so the events it
wrote are already durable: nothing here may fail the request that wrote them. A kick that goes
nowhere (Redis down, worker busy) only delays publication until the periodic sweep
(`tasks.sweep_outboxes`, every POS_RELAY_SWEEP_SECONDS).
"""

from __future__ import annotations

import logging
import os
import threading

from django.conf import settings

logger = logging.getLogger(__name__)

KICK_EXPIRES_S = 60
KICK_POOL_LIMIT = 10
KICK_ACQUIRE_TIMEOUT_S = 2.0

_pool = None
_pool_pid: int | None = None
_pool_lock = threading.Lock()


def kick_relay(context: str) -> None:
    # Read per call, not at import: tests switch modes with override_settings, and Celery's own
    # `task_always_eager` is fixed when its app is configured.
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Embedded mode: relay right here, in the thread that committed (the consumers run
        # in-process, so a reader sees the effects as soon as the write returns).
        from infrastructure.outbox.relay import relay_pending

        try:
            relay_pending(context)
        except Exception:  # the write has committed: log, never raise into it
            # Retried by the sweep in full mode, by this context's next commit in embedded mode.
            logger.exception("relay of %s after commit failed; its events stay pending", context)
        return

    from infrastructure.outbox.tasks import relay_outbox

    try:
        # retry=False: with the broker down, fail instead of blocking the request through
        # Celery's publish retries; and the connections come from a pool of our own with
        # `max_retries: 0`, because Celery's default pool retries the *connection* itself for
        # ~6 s (broker_connection_timeout) before giving up. A kick that waited in the queue
        # for longer than KICK_EXPIRES_S is dropped by the worker: the sweep has run since.
        with _connections().acquire(block=True, timeout=KICK_ACQUIRE_TIMEOUT_S) as connection:
            relay_outbox.apply_async((context,), connection=connection, retry=False, expires=KICK_EXPIRES_S)
    except Exception as exc:  # Redis down, say: a committed sale must not fail on its kick
        _drop_connections()  # reconnect afresh next time instead of reusing a dead connection
        logger.warning("could not queue the relay of %s (%s: %s); the periodic sweep will publish its events",
                       context, type(exc).__name__, exc)


def _connections():
    """This process's pool of broker connections for kicks (made lazily, again after a fork)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            from pos_project.celery import app

            _pool = app.connection_for_write(transport_options={"max_retries": 0}).Pool(limit=KICK_POOL_LIMIT)
            _pool_pid = os.getpid()
        return _pool


def _drop_connections() -> None:
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        try:
            pool.force_close_all()
        except Exception:  # already broken: nothing more to release
            logger.debug("closing the kick connection pool failed", exc_info=True)
