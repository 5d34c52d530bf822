"""Applying received events exactly once: the inbox.

`apply_batch` is the one place a consuming context takes events in, whether they come from Kafka
(`consumers/runner.py`) or in-process after commit (`consumers/local.py`, embedded mode). In ONE
transaction on the consumer's database it

1. takes the consumer's lock *shared* (`infrastructure/locks.py`): live appliers run side by side, a
   projection rebuild (exclusive) waits for them and holds them off;
2. inserts the events into `InboxEvent` with `ON CONFLICT (consumer, event_id) DO UPDATE ...
   WHERE status = 'dead' RETURNING event_id`, which says which of them are new. An event already
   applied (a Kafka redelivery, a relay that published twice, a duplicate inside the batch) is
   simply not returned. An event recorded DEAD is tried again when it comes again: it may have
   failed only because an earlier event of its stream was late (after a broker failure the relay
   re-publishes, and Kafka can hold a stream's later event ahead of the earlier ones). Failing
   again, it stays DEAD and is not dead-lettered twice;
3. hands only the new events, oldest first, to each subscriber of the consumer that `wants` them.

If a subscriber raises, the whole transaction rolls back, inbox rows included, so "recorded as
processed" and "applied" cannot disagree, and the caller's retry starts from a clean slate.

`deliver` wraps it with the failure policy: try the whole batch; if that fails, apply the events
one at a time, each up to `max_attempts` times. An event that still fails is recorded in the
inbox with status DEAD and its error (a rebuild skips it; a redelivery tries it once more) and handed to
`on_dead` (the runner sends it to the dead-letter topic); the others go on.

Database trouble (`OperationalError`/`InterfaceError`: connection lost, deadlock, lock timeout)
is not the event's fault, so it never makes an event DEAD: after the attempts it propagates, the
caller does not commit its Kafka offsets, and the events come again later.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import InterfaceError, OperationalError, connections, transaction
from django.utils import timezone

from infrastructure.consumers import registry
from infrastructure.locks import lock
from infrastructure.consumers.models import InboxEvent
from infrastructure.eventstore.databases import db_for
from infrastructure.eventstore.envelope import Envelope

logger = logging.getLogger(__name__)

#: Errors that say "the database is in trouble", not "this event is bad".
INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError)

#: (topic, partition, offset) of the Kafka message an event came in, keyed by event id.
KafkaPositions = Mapping[uuid.UUID, tuple[str, int, int]]

_COLUMNS = ("consumer", "event_id", "source_context", "stream_type", "stream_id", "version", "event_type",
            "schema_version", "data", "metadata", "recorded_at", "received_at", "status", "error")
_ROWS_PER_INSERT = 1000  # 14 parameters a row: well under PostgreSQL's 65535 and SQLite's 32766


@dataclass(frozen=True)
class ApplyResult:
    applied: list[Envelope]  # the new events (upcasted), in order, as handed to the subscribers
    duplicates: int  # events of the batch that were already in the inbox (or twice in the batch)


@dataclass
class DeliveryResult:
    applied: int = 0
    duplicates: int = 0
    dead: list[tuple[Envelope, str]] = field(default_factory=list)
    fell_back: bool = False  # the batch failed and was applied one event at a time


def apply_batch(consumer: str, envelopes: Sequence[Envelope], *,
                kafka_positions: KafkaPositions | None = None) -> ApplyResult:
    """Record and apply `envelopes` for `consumer` in one transaction; see the module docstring.

    `kafka_positions` (optional) is stored with each inbox row, in its metadata under `_kafka`
    (`{"topic", "partition", "offset"}`), so an applied event can be traced to its message.
    Raises whatever a subscriber raised (after the rollback)."""
    batch = _unique(env.upcasted() for env in envelopes)
    if not batch:
        return ApplyResult([], 0)
    db = db_for(consumer)
    with transaction.atomic(using=db):
        lock(db, "consumer", consumer, shared=True)
        new_ids = _insert(db, consumer, batch, status=InboxEvent.APPLIED, kafka_positions=kafka_positions)
        new = [env for env in batch if env.event_id in new_ids]
        if new:
            for subscriber in registry.subscribers_of(consumer):
                wanted = [env for env in new if subscriber.wants(env)]
                if wanted:
                    subscriber.handle(wanted)
    return ApplyResult(new, len(envelopes) - len(new))


def deliver(consumer: str, envelopes: Sequence[Envelope], *, max_attempts: int = 3,
            on_dead: Callable[[Envelope, str], None] | None = None,
            kafka_positions: KafkaPositions | None = None, retry_delay: float = 0.05) -> DeliveryResult:
    """Apply `envelopes` for `consumer`, isolating the events that keep failing.

    `on_dead(envelope, error_text)` runs inside the transaction that records the event as DEAD:
    if it raises (say the dead-letter topic is unreachable), the DEAD row is rolled back too and
    the error propagates, so the event is neither lost nor silently skipped on redelivery.
    `retry_delay` is the pause before the 2nd attempt of an event (doubling after that)."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if not envelopes:
        return DeliveryResult()
    try:
        result = apply_batch(consumer, envelopes, kafka_positions=kafka_positions)
        return DeliveryResult(applied=len(result.applied), duplicates=result.duplicates)
    except Exception as exc:  # noqa: BLE001 - any failure: find the culprit event by event
        _reset_broken_connection(db_for(consumer))
        if len(envelopes) > 1:
            logger.warning("%s: a batch of %d events failed (%s: %s); applying them one at a time",
                           consumer, len(envelopes), type(exc).__name__, exc)
        first_error = exc

    outcome = DeliveryResult(fell_back=True)
    for envelope in envelopes:
        # A single-event batch already had its first attempt above.
        error = first_error if len(envelopes) == 1 else None
        attempts_left = max_attempts - (1 if len(envelopes) == 1 else 0)
        delay = retry_delay
        while attempts_left > 0:
            if error is not None and delay > 0:
                time.sleep(delay)  # a short back-off before retrying a (possibly transient) failure
                delay *= 2
            attempts_left -= 1
            try:
                result = apply_batch(consumer, [envelope], kafka_positions=kafka_positions)
            except Exception as exc:  # noqa: BLE001
                _reset_broken_connection(db_for(consumer))
                error = exc
                logger.warning("%s: %s %s failed (%s: %s)", consumer, envelope.event_type, envelope.event_id,
                               type(exc).__name__, exc, extra=_log_fields(envelope))
                continue
            outcome.applied += len(result.applied)
            outcome.duplicates += result.duplicates
            error = None
            break
        if error is None:
            continue
        if isinstance(error, INFRASTRUCTURE_ERRORS):
            raise error
        text = error_text(error)
        if record_dead(consumer, envelope, text, detail=_traceback_text(error), on_dead=on_dead,
                       kafka_positions=kafka_positions):
            outcome.dead.append((envelope, text))
        else:
            outcome.duplicates += 1
    return outcome


def _log_fields(envelope: Envelope) -> dict:
    """The event's own correlation, user and till on a line about that one event."""
    meta = envelope.metadata or {}
    return {name: meta[name] for name in ("correlation_id", "user", "till") if meta.get(name)}


def record_dead(consumer: str, envelope: Envelope, error: str, *, detail: str = "",
                on_dead: Callable[[Envelope, str], None] | None = None,
                kafka_positions: KafkaPositions | None = None) -> bool:
    """Record `envelope` as DEAD for `consumer` (not applied; skipped by redeliveries and rebuilds)
    and call `on_dead` in the same transaction. False if the event was already in the inbox
    (then nothing happens: someone else applied or buried it meanwhile)."""
    try:
        stored = envelope.upcasted()
    except Exception:  # noqa: BLE001 - the upcaster may be what failed; keep the data as received
        stored = envelope
    db = db_for(consumer)
    with transaction.atomic(using=db):
        lock(db, "consumer", consumer, shared=True)
        error_column = f"{error}\n\n{detail}".strip() if detail else error
        inserted = _insert(db, consumer, [stored], status=InboxEvent.DEAD, error=error_column,
                           kafka_positions=kafka_positions)
        if not inserted:
            return False
        logger.error("%s: %s %s is DEAD after repeated failures: %s", consumer, envelope.event_type,
                     envelope.event_id, error, extra=_log_fields(envelope))
        if on_dead is not None:
            on_dead(envelope, error)
    return True


def error_text(exc: BaseException) -> str:
    """One line naming the error, e.g. `ValueError: invalid literal for int()`."""
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def _traceback_text(exc: BaseException, limit: int = 8000) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return text[-limit:]


def _unique(envelopes: Iterable[Envelope]) -> list[Envelope]:
    seen: set[uuid.UUID] = set()
    out = []
    for env in envelopes:
        if env.event_id not in seen:
            seen.add(env.event_id)
            out.append(env)
    return out


def _reset_broken_connection(db: str) -> None:
    """After a failure outside any transaction, drop a connection that can no longer be used, so
    the next attempt reconnects instead of failing the same way."""
    connection = connections[db]
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def _insert(db: str, consumer: str, envelopes: Sequence[Envelope], *, status: str, error: str = "",
            kafka_positions: KafkaPositions | None = None) -> set[uuid.UUID]:
    """INSERT ... ON CONFLICT (consumer, event_id): the ids of the rows inserted, and of DEAD rows
    taken up again by an APPLIED insert (see the module docstring)."""
    connection = connections[db]
    received_at = timezone.now()
    rows = [_row(consumer, env, received_at, status, error, kafka_positions) for env in envelopes]
    if connection.vendor in ("postgresql", "sqlite") and connection.features.can_return_rows_from_bulk_insert:
        return _insert_returning(connection, rows)
    # Any other backend: which ids exist (under the consumer lock, so nobody adds one meanwhile).
    ids = [row["event_id"] for row in rows]
    found = dict(InboxEvent.objects.using(db).filter(consumer=consumer, event_id__in=ids)
                 .values_list("event_id", "status"))
    InboxEvent.objects.using(db).bulk_create([InboxEvent(**row) for row in rows], ignore_conflicts=True)
    again = [i for i, s in found.items() if s == InboxEvent.DEAD] if status == InboxEvent.APPLIED else []
    InboxEvent.objects.using(db).filter(consumer=consumer, event_id__in=again).update(status=status, error=error)
    return (set(ids) - set(found)) | set(again)


def _insert_returning(connection, rows: list[dict]) -> set[uuid.UUID]:
    fields = [InboxEvent._meta.get_field(name) for name in _COLUMNS]
    quote = connection.ops.quote_name
    head = (f"INSERT INTO {quote(InboxEvent._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES ")
    table, status = quote(InboxEvent._meta.db_table), quote("status")
    tail = (f" ON CONFLICT ({quote('consumer')}, {quote('event_id')}) DO UPDATE SET {status} = EXCLUDED.{status}, "
            f"{quote('error')} = EXCLUDED.{quote('error')}, {quote('received_at')} = EXCLUDED.{quote('received_at')} "
            f"WHERE {table}.{status} = '{InboxEvent.DEAD}' AND EXCLUDED.{status} = '{InboxEvent.APPLIED}' "
            f"RETURNING {quote('event_id')}")
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    new: set[uuid.UUID] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start:start + _ROWS_PER_INSERT]
            params = [f.get_db_prep_save(row[f.name], connection) for row in chunk for f in fields]
            cursor.execute(head + ", ".join([one] * len(chunk)) + tail, params)
            new.update(v if isinstance(v, uuid.UUID) else uuid.UUID(v) for (v,) in cursor.fetchall())
    return new


def _row(consumer: str, env: Envelope, received_at: dt.datetime, status: str, error: str,
         kafka_positions: KafkaPositions | None) -> dict:
    metadata = env.metadata or {}
    position = kafka_positions.get(env.event_id) if kafka_positions else None
    if position is not None:
        topic, partition, offset = position
        metadata = {**metadata, "_kafka": {"topic": topic, "partition": partition, "offset": offset}}
    return {"consumer": consumer, "event_id": env.event_id, "source_context": env.source_context,
            "stream_type": env.stream_type, "stream_id": env.stream_id, "version": env.version,
            "event_type": env.event_type, "schema_version": env.schema_version, "data": env.data,
            "metadata": metadata, "recorded_at": env.recorded_at, "received_at": received_at,
            "status": status, "error": error}
