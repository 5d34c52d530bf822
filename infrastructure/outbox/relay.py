"""The outbox relay: publish a context's pending events, in position order, and mark them published.

Every appended event has an outbox row written in the same transaction (see eventstore/store.py).
`relay_pending(context)` takes the rows still pending, hands them to Kafka (full mode) or to the
in-process consumers (embedded mode), and marks the ones that went out. In full mode it runs in the
context's Celery worker, woken by the commit's PostgreSQL NOTIFY and every few seconds besides
(outbox/listener.py); in embedded mode right after each commit, in the committing thread
(eventstore/store.py).

Guarantees, and where each one comes from:

* **At least once, never skipped.** Rows are selected by *state* (`published_at IS NULL`), never
  by "position greater than the last one published". Positions come from a sequence and are
  allocated when a row is inserted, but become visible when its transaction commits: a
  transaction that took position 10 and commits after the one that took 11 would be skipped for
  good by a "position > 11" cursor. A pending row stays pending until a relay has published it,
  however late it becomes visible.
* **Per-stream order.** Within one pass, rows go out in position order. Within one stream,
  position order is version order, and a later version is never visible before an earlier one:
  the writer of version n+1 had to read version n (the expected-version check in
  `EventStore.append`), so n was committed before n+1 was even inserted, and therefore got the
  lower position; versions appended together commit together, in insertion order. So whenever
  n+1 is selected, n is either selected too, ahead of it, or was already published by an earlier
  pass. On a publish failure only the prefix before the failed row is marked, and the pass stops:
  nothing after a failed event is marked before the failed event itself goes out. On Kafka, a
  partition's records of one pass travel in one producer batch (kafka/clients.py): if an earlier
  record of a stream is refused, so are the later ones of the same pass, so a stream never has a
  later event on Kafka without the earlier ones (re-sent ones arrive again, in order, as duplicates).
* **One relay per context at a time**, which the order argument above needs (two relays racing
  on overlapping batches could interleave a stream's events). On PostgreSQL a transaction-level
  advisory lock, waited for (bounded by a lock timeout): a relay that had to wait makes its own
  pass once the holder commits, so no wake-up is lost between the holder's last look and its commit. The lock is released
  by COMMIT/ROLLBACK, so a crashed relay can never leave it held. On SQLite the transaction itself
  serialises relays: it begins IMMEDIATE (see settings), which takes the database's write lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from infrastructure.eventstore.databases import db_for
from infrastructure.eventstore.envelope import Envelope
from infrastructure.eventstore.models import StoredEvent
from infrastructure.locks import lock
from infrastructure.observability import log_context
from infrastructure.outbox.models import OutboxEntry

logger = logging.getLogger(__name__)

# At most this many events a pass: with events of up to ~4 KiB a partition's share of a pass fits
# one producer batch (clients.PRODUCER_BATCH_BYTES), so it is written or refused as a whole.
DEFAULT_BATCH_SIZE = 200
MAX_PASSES = 20  # per call; whatever is left is taken by the next kick or sweep
FLUSH_TIMEOUT_S = 10.0  # a broker that is down fails a pass in about this long, not in minutes
LAST_ERROR_MAX_CHARS = 2000

OnPublished = Callable[[list[Envelope]], None]

_local = threading.local()


def _relaying() -> dict[str, bool]:
    """The contexts this thread is relaying right now -> "run again" flag."""
    if not hasattr(_local, "relaying"):
        _local.relaying = {}
    return _local.relaying


def relay_pending(context: str, *, batch_size: int = DEFAULT_BATCH_SIZE, max_passes: int = MAX_PASSES,
                  on_published: OnPublished | None = None, notified: bool = False) -> int:
    """Publish `context`'s pending outbox rows in position order; return how many went out.

    Runs passes of up to `batch_size` events until a pass finds nothing (or fails, or another
    relay holds the lock, or `max_passes` is reached). `on_published(envelopes)` is called after
    each pass that published something, once its marks are committed (for tests and tooling).
    `notified`: the caller hears of every commit (the NOTIFY listener), so a pass that found less
    than a full batch ends the call: what was committed during it is notified and relayed next,
    and the empty pass that would confirm it costs a transaction per commit at a till's pace.

    Reentrant per thread: in embedded mode the consumers run inside the relay (a policy may
    execute a command whose commit kicks the relay of this same context in this same thread).
    Such a nested call only flags "run again" and returns 0; the outer call then makes another
    pass, which picks up the new events, instead of relaying them from inside its own pass.
    """
    relaying = _relaying()
    if context in relaying:
        relaying[context] = True
        return 0
    relaying[context] = False
    total = 0
    log_token = log_context.bind(context=context)
    try:
        for _ in range(max_passes):
            relaying[context] = False
            outcome = _relay_one_pass(context, batch_size)
            if outcome.published:
                total += len(outcome.published)
                if on_published is not None:
                    on_published(outcome.published)
            if outcome.locked_out or outcome.failed:
                break
            # An empty pass ends the call, unless a nested kick asked for another pass. A pass
            # that published something is followed by another: more may be pending (a larger
            # backlog, or events committed while this pass ran, whose kicks found the lock taken).
            if not outcome.published and not relaying[context]:
                break
            if notified and len(outcome.published) < batch_size and not relaying[context]:
                break
    finally:
        del relaying[context]
        log_context.reset(log_token)
    return total


class _PassOutcome:
    __slots__ = ("failed", "locked_out", "published")

    def __init__(self, published=(), *, failed=False, locked_out=False):
        self.published: list[Envelope] = list(published)
        self.failed = failed
        self.locked_out = locked_out


LOCK_WAIT = "15s"
# Waiting rather than giving up at once closes a lost-wakeup window: a wake-up whose event commits
# just after the holder's last (empty) SELECT, but before the holder commits, would otherwise find
# the lock taken, return, and leave its event for the next sweep. A waiter makes its own pass as
# soon as the holder ends.


def _pending_batch(context: str, using: str, batch_size: int) -> list[Envelope]:
    """The oldest `batch_size` pending events of `context`, in position order: one statement,

        SELECT e.* FROM es_event e
         WHERE e.position IN (SELECT o.position FROM es_outbox o
                               WHERE o.context = %s AND o.published_at IS NULL
                               ORDER BY o.position LIMIT %s)
         ORDER BY e.position

    (the partial index `es_outbox_pending` serves the inner query). It runs after the lock was
    taken, and under READ COMMITTED each statement sees everything committed before it started,
    so it sees the marks of the relay that held the lock before us and never re-selects them.
    """
    rows = StoredEvent.objects.using(using).raw(_PENDING_SQL, [context, batch_size])  # built once, not per pass
    return [Envelope.from_stored(row) for row in rows]


_PENDING_SQL = (f"SELECT e.* FROM {StoredEvent._meta.db_table} e WHERE e.position IN ("
                f"SELECT o.position FROM {OutboxEntry._meta.db_table} o WHERE o.context = %s AND o.published_at IS NULL "
                "ORDER BY o.position LIMIT %s) ORDER BY e.position")


def _relay_one_pass(context: str, batch_size: int) -> _PassOutcome:
    using = db_for(context)
    with transaction.atomic(using=using):
        if not lock(using, "relay", context, wait=LOCK_WAIT):
            return _PassOutcome(locked_out=True)
        batch = _pending_batch(context, using, batch_size)
        if not batch:
            return _PassOutcome()
        if settings.KAFKA_ENABLED:  # read per call, not at import: tests override it
            sent, error = _publish_to_kafka(context, batch)
        else:
            sent, error = _dispatch_in_process(batch, using)
        published = batch[:sent]
        if published:
            OutboxEntry.objects.using(using).filter(position__in=[e.position for e in published]).update(
                published_at=timezone.now())
        if error is not None:
            failed = batch[sent]
            _record_failure(failed, error, using)
            logger.warning("relay %s: published %d of %d; event %s (%s %s@%d) failed: %s", context, sent,
                           len(batch), failed.event_id, failed.stream_type, failed.stream_id, failed.version,
                           error)
    # Committed: the marks (and the released lock) are visible to the next relay.
    return _PassOutcome(published, failed=error is not None)


def _record_failure(envelope: Envelope, error: BaseException, using: str) -> None:
    from django.db.models import F

    OutboxEntry.objects.using(using).filter(position=envelope.position).update(
        attempts=F("attempts") + 1,
        last_error=f"{type(error).__name__}: {error}"[:LAST_ERROR_MAX_CHARS])


def _publish_to_kafka(context: str, batch: list[Envelope]) -> tuple[int, BaseException | None]:
    """Produce the batch to the context's topic; return (length of the acknowledged prefix, the
    error that ended it or None).

    All records are handed to the producer first (it batches them per partition), then flushed,
    then the futures are checked in position order: the prefix up to the first record that failed
    or was not acknowledged in time counts as published. A record after that point which the
    broker did take anyway stays pending and goes out again with the failed one on the next pass:
    a duplicate, which consumers drop by event id (at least once, never out of order in the
    outbox). The producer uses one request in flight per connection and idempotence, so within a
    partition (a stream) the broker never acknowledges a later record ahead of an earlier one.
    """
    from kafka.errors import KafkaTimeoutError

    from infrastructure.kafka import clients
    from infrastructure.kafka.cloudevents import to_message
    from infrastructure.kafka.topics import topic_for

    topic = topic_for(context)
    futures = []
    error: BaseException | None = None
    try:
        clients.ensure_topics([topic])
        producer = clients.producer()
        for envelope in batch:
            key, value, headers = to_message(envelope)
            futures.append(producer.send(topic, key=key, value=value, headers=headers))
        producer.flush(timeout=FLUSH_TIMEOUT_S)
    except Exception as exc:  # broker down, timeout, no metadata: the outbox keeps the events
        error = exc
    sent = 0
    for future in futures:
        if not future.is_done:
            error = error or KafkaTimeoutError(f"not acknowledged within {FLUSH_TIMEOUT_S:.0f}s")
            break
        if future.failed():
            error = future.exception
            break
        sent += 1
    if sent < len(batch):
        error = error or RuntimeError("the producer did not take every record")
        # A producer that failed may hold broken connections or stale metadata: start afresh.
        clients.reset_producer()
        return sent, error
    return sent, None


def _dispatch_in_process(batch: list[Envelope], using: str) -> tuple[int, BaseException | None]:
    """Embedded mode: hand the batch to the consuming contexts' subscribers, in this process.

    `dispatch_locally` applies each event with the consumers' dedupe (the inbox), so a batch that
    is handed over again after a failure has no second effect. It runs in a savepoint: if it
    raises, whatever it wrote on this connection is undone and the batch stays pending.
    """
    # Imported late: written by the consumers' side, and only embedded mode needs it.
    from infrastructure.consumers.local import dispatch_locally

    try:
        with transaction.atomic(using=using):
            dispatch_locally(batch)
    except Exception as exc:  # whatever it was, the batch stays pending and the writer is unharmed
        logger.exception("relay: in-process dispatch of %d events failed", len(batch))
        return 0, exc
    return len(batch), None
