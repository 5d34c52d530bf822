"""A long-running relay woken by PostgreSQL LISTEN/NOTIFY (`manage.py relay_outbox --listen`).

Every statement that inserts outbox rows notifies channel `pos_outbox` with its context (a
trigger, migration 0005), delivered when the writer commits. This loop waits on that channel
and runs `relay_pending(context)` for each context it hears about, in this one process, which
keeps its database connection and Kafka producer warm. Compared with the Celery kick (commit ->
Redis -> worker -> relay pass) it takes one hop and nothing from the request that wrote.

It is an addition, not a replacement: `relay_pending` does the work (same lock, same ordering
guarantees), the Celery tasks and the periodic sweep stay as they are, and a relay started by
either simply waits for the other's lock. With POS_RELAY_LISTENER set, appends skip the
Celery kick (see eventstore/store.py). The loop also makes a pass every `sweep_every`
seconds, and one for every context after (re)connecting, for whatever was notified while it
was not listening.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from django.db import close_old_connections, connections

from infrastructure.backoff import Backoff
from infrastructure.eventstore.databases import db_for
from infrastructure.outbox.relay import OnPublished, relay_pending

logger = logging.getLogger(__name__)

CHANNEL = "pos_outbox"
SWEEP_EVERY_S = 5.0


def _listen_connection(alias: str):
    wrapper = connections[alias]
    conn = wrapper.get_new_connection(wrapper.get_connection_params())
    conn.autocommit = True
    conn.execute(f"LISTEN {CHANNEL}")
    return conn


class _Relays:
    """Runs `relay_pending` per context; a context whose relay raised (its database is away) waits
    out a back-off before it is tried again, so an outage costs one log line per step, not one
    per commit notified meanwhile (the pass after the wait takes whatever was notified)."""

    def __init__(self, on_published: OnPublished | None):
        self.on_published = on_published
        self.backoff: dict[str, Backoff] = {}
        self.retry_at: dict[str, float] = {}

    def __call__(self, contexts: Iterable[str]) -> int:
        close_old_connections()  # a connection broken since the last pass is replaced, not reused
        total = 0
        for context in sorted(contexts):
            if time.monotonic() < self.retry_at.get(context, 0.0):
                continue
            try:
                total += relay_pending(context, on_published=self.on_published)
            except Exception as exc:  # database trouble: log, keep listening; retried after the back-off
                delay = self.backoff.setdefault(context, Backoff()).next_delay()
                self.retry_at[context] = time.monotonic() + delay
                logger.warning("relay of %s failed (%s: %s); its events stay pending; retrying in %.0fs", context,
                               type(exc).__name__, exc, delay)
                connections[db_for(context)].close()
            else:
                self.backoff.pop(context, None)
                self.retry_at.pop(context, None)
        return total


def listen_and_relay(contexts: Iterable[str], stop_event: threading.Event, *, sweep_every: float = SWEEP_EVERY_S,
                     on_published: OnPublished | None = None, listening: threading.Event | None = None) -> int:
    """Relay `contexts` whenever one of them is notified, until `stop_event` is set; return how
    many events went out. `listening` is set once the LISTEN is in place (for tests)."""
    contexts = frozenset(contexts)
    aliases = {db_for(context) for context in contexts}
    if len(aliases) != 1:
        raise ValueError(f"listen_and_relay takes contexts of one database; got {sorted(aliases)}: "
                         "run one listener per database")
    (alias,) = aliases
    total, conn = 0, None
    backoff, relay = Backoff(), _Relays(on_published)
    while not stop_event.is_set():
        try:
            if conn is None:
                conn = _listen_connection(alias)
                if listening is not None:
                    listening.set()
                logger.info("relay listener: listening on %s for %s", CHANNEL, ", ".join(sorted(contexts)))
                total += relay(contexts)  # what was committed while nobody listened
                next_sweep = time.monotonic() + sweep_every
            timeout = max(0.0, min(next_sweep - time.monotonic(), 0.5))  # 0.5 s: notice stop_event soon
            woken = {notify.payload for notify in conn.notifies(timeout=timeout, stop_after=1)}
            if woken:  # and whatever else of the burst has arrived meanwhile
                woken |= {notify.payload for notify in conn.notifies(timeout=0)}
            if time.monotonic() >= next_sweep:
                woken |= contexts
                next_sweep = time.monotonic() + sweep_every
            if woken & contexts:
                total += relay(woken & contexts)
            backoff.reset()
        except Exception as exc:  # the listening connection broke (server restart): reconnect
            delay = backoff.next_delay()
            logger.warning("relay listener: %s: %s; reconnecting in %.0fs", type(exc).__name__, exc, delay)
            if conn is not None:
                try:
                    conn.close()
                except Exception:  # already broken
                    logger.debug("closing the listening connection failed", exc_info=True)
            conn = None
            stop_event.wait(delay)
    if conn is not None:
        conn.close()
    return total
