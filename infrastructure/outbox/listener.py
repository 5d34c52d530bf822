"""The relay's one wake-up path in full mode: PostgreSQL LISTEN/NOTIFY.

Every statement that inserts outbox rows notifies its context's channel, `pos_outbox_<context>`
(a trigger, migrations 0005 and 0012), delivered when the writer commits. `listen_and_relay` waits on that
channel and runs `relay_pending(context)` for each context it hears about, keeping its database
connection and Kafka producer warm: commit -> NOTIFY -> relay pass, one hop, and nothing on the
request's path. It also makes a pass every POS_RELAY_SWEEP_SECONDS, and one for every context
after (re)connecting: the safety net for what could not go out at the time (broker down) or was
committed while nobody listened.

It runs as a thread of each context's Celery worker (worker/bootstep.py); `manage.py
relay_outbox --listen` runs the same loop in the foreground. Two relays of one context are safe
(the relay's lock), just useless. Embedded mode relays inline after each commit instead
(eventstore/store.py), through the same `relay_pending`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import close_old_connections, connections

from infrastructure.backoff import Backoff
from infrastructure.eventstore.databases import db_for
from infrastructure.outbox.relay import OnPublished, relay_pending

logger = logging.getLogger(__name__)

def channel(context: str) -> str:
    """The channel `context`'s outbox commits notify (the payload is the context's name)."""
    return f"pos_outbox_{context}"


def _listen_connection(alias: str, contexts: Iterable[str]):
    wrapper = connections[alias]
    conn = wrapper.get_new_connection(wrapper.get_connection_params())
    conn.autocommit = True
    for context in sorted(contexts):
        conn.execute(f'LISTEN "{channel(context)}"')
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
                total += relay_pending(context, on_published=self.on_published, notified=True)
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


def listen_and_relay(contexts: Iterable[str], stop_event: threading.Event, *, sweep_every: float | None = None,
                     on_published: OnPublished | None = None, listening: threading.Event | None = None) -> int:
    """Relay `contexts` whenever one of them is notified, until `stop_event` is set; return how
    many events went out. `listening` is set once the LISTEN is in place (for tests)."""
    contexts = frozenset(contexts)
    sweep_every = settings.POS_RELAY_SWEEP_SECONDS if sweep_every is None else sweep_every
    aliases = {db_for(context) for context in contexts}
    if len(aliases) != 1:
        raise ValueError(f"listen_and_relay takes contexts of one database; got {sorted(aliases)}: "
                         "run one listener per database")
    (alias,) = aliases
    if connections[alias].vendor != "postgresql":
        raise ValueError(f"the relay listener needs PostgreSQL (LISTEN/NOTIFY); database {alias!r} is "
                         f"{connections[alias].vendor}")
    total, conn = 0, None
    backoff, relay = Backoff(), _Relays(on_published)
    while not stop_event.is_set():
        try:
            if conn is None:
                conn = _listen_connection(alias, contexts)
                if listening is not None:
                    listening.set()
                logger.info("relay listener: listening for %s", ", ".join(channel(c) for c in sorted(contexts)))
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
