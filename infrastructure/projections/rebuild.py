"""Rebuilding a projection: empty its tables and replay its consumer's inbox into them.

For each projection, in ONE transaction on its consumer's database:

1. `lock(db, "consumer", consumer)`, exclusive. Every live applier (Kafka consumer, embedded dispatch)
   records an event in the inbox and applies it in one transaction that holds the same lock
   *shared*. Taking it exclusive therefore waits until every such transaction in flight has
   committed (or rolled back), and makes every later one wait until the rebuild commits.
2. `projection.reset()`: DELETE its rows (readers keep seeing the old ones until we commit).
3. Replay the inbox rows with status APPLIED, in `id` order (the order they were applied in),
   keyset-paginated (`id > last ORDER BY id LIMIT n`) so memory stays flat whatever the size,
   each batch filtered to what the projection `wants` and handed to `projection.handle`.

Why no event is lost or applied twice when live consumers keep running:
- An inbox row committed before we got the lock is visible to our queries: under READ COMMITTED
  (Django's default, and required here) each statement sees everything committed before it
  started, and every query of ours runs after the lock was granted. So it is replayed.
- An event not in the inbox when we got the lock can only be inserted by a transaction that
  first takes the shared lock, i.e. after our commit. It then sees the rebuilt tables and
  applies on top of them, exactly once (the inbox's unique `(consumer, event_id)`).
- There is no third case: inserting into the inbox and applying happen in the same transaction,
  so a row is never "recorded but not yet applied" from another transaction's point of view.
Consumers are held off for the duration of the replay (their Kafka offsets simply stay
uncommitted; a replay longer than `max_poll_interval_ms` costs a rebalance, not an event).

DEAD rows are skipped (they were never applied live), and policies (`replayable = False`) are
never re-run: a rebuild has no side effect beyond the projection's own tables. Stored data is
upcast on the way (`Envelope.upcasted()`), so an upcaster added since the events arrived takes
effect on the next rebuild.

On SQLite the lock is a no-op: there one write transaction runs at a time anyway.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import reduce

from django.db import connections, transaction
from django.db.models import Q
from tqdm import tqdm

from infrastructure.consumers import registry
from infrastructure.locks import lock
from infrastructure.consumers.models import InboxEvent
from infrastructure.events.base import event_class
from infrastructure.eventstore.databases import db_for
from infrastructure.eventstore.envelope import Envelope

DEFAULT_BATCH_SIZE = 2000

_COLUMNS = ("id", "event_id", "source_context", "stream_type", "stream_id", "version", "event_type",
            "schema_version", "data", "metadata", "recorded_at")


@dataclass(frozen=True)
class RebuildResult:
    projection: str
    consumer: str
    events: int  # events handed to the projection
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        return (f"{self.consumer}.{self.projection}: {self.events} events replayed in {self.seconds:.2f}s "
                f"({self.events_per_second:,.0f} events/s)")


def replayable_projections(context: str | None = None, projection: str | None = None) -> list[registry.Subscriber]:
    """The registered projections (subscribers with `replayable = True`) of `context` (default:
    every consuming context), optionally only the one named `projection` (`Name` or `context.Name`)."""
    selected = []
    for consumer in registry.consumers():
        if context is not None and consumer != context:
            continue
        for subscriber in registry.subscribers_of(consumer):
            if not subscriber.replayable:
                continue
            if projection is None or projection in (subscriber.name, f"{consumer}.{subscriber.name}"):
                selected.append(subscriber)
    if not selected and (context is not None or projection is not None):
        known = [f"{c}.{s.name}" for c in registry.consumers() for s in registry.subscribers_of(c) if s.replayable]
        raise LookupError(f"No projection matches context={context!r} projection={projection!r}; "
                          f"known: {', '.join(known) or 'none'}")
    return selected


def rebuild(projection: registry.Subscriber, *, batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = False,
            progress_file=None) -> RebuildResult:
    """Reset `projection` and replay its consumer's inbox into it, in one transaction."""
    if not projection.replayable:
        raise TypeError(f"{projection.name} is not replayable (a policy?); it cannot be rebuilt")
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    consumer = projection.consumer
    db = db_for(consumer)
    started = time.perf_counter()
    handled = 0
    with transaction.atomic(using=db):
        lock(db, "consumer", consumer)
        projection.reset()
        total = _replay_rows(db, consumer, projection).count() if progress else None
        with tqdm(total=total, desc=f"{consumer}.{projection.name}", unit="ev", unit_scale=True,
                  file=progress_file or sys.stderr, disable=not progress, mininterval=0.5) as bar:
            for batch in _batches(db, consumer, projection, batch_size):
                wanted = [envelope for envelope in batch if projection.wants(envelope)]
                if wanted:
                    projection.handle(wanted)
                    handled += len(wanted)
                bar.update(len(batch))
    return RebuildResult(projection.name, consumer, handled, time.perf_counter() - started)


def rebuild_projections(context: str | None = None, projection: str | None = None, *,
                        batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = False,
                        progress_file=None) -> list[RebuildResult]:
    return [rebuild(p, batch_size=batch_size, progress=progress, progress_file=progress_file)
            for p in replayable_projections(context, projection)]


def _replay_rows(db: str, consumer: str, projection: registry.Subscriber):
    """The inbox rows the projection may want. `subscriptions` is the upper bound of what it
    wants (`wants` may narrow it, never widen it), so it is pushed down into SQL."""
    wanted = [Q(source_context=source, event_type__in=sorted(types))
              for source, types in sorted(projection.subscriptions.items()) if types]
    rows = InboxEvent.objects.using(db).filter(consumer=consumer, status=InboxEvent.APPLIED)
    if not wanted:
        return rows.none()
    return rows.filter(reduce(lambda a, b: a | b, wanted))


def _batches(db: str, consumer: str, projection: registry.Subscriber, batch_size: int) -> Iterator[list[Envelope]]:
    """The projection's inbox rows as envelopes, oldest first, `batch_size` at a time.

    Keyset pagination on the primary key (`id > last ORDER BY id LIMIT n`): each page is read
    from the index at the same cost on the last page as on the first, and only one page is in
    memory at a time. On PostgreSQL the pages are read with a plain psycopg cursor in binary
    format, in this same transaction: about twice as fast as the ORM's text rows and
    per-field converters (uuid, timestamptz and jsonb decode straight into Python objects)."""
    connection = connections[db]
    if _is_psycopg3(connection):
        pages = _pages_postgresql(connection, consumer, projection, batch_size)
    else:
        pages = _pages_orm(_replay_rows(db, consumer, projection), batch_size)
    current_versions: dict[tuple[str, str], int] = {}
    for page in pages:
        yield _envelopes(page, current_versions)


def _is_psycopg3(connection) -> bool:
    if connection.vendor != "postgresql":
        return False
    try:
        import psycopg
    except ImportError:  # psycopg2
        return False
    connection.ensure_connection()
    return isinstance(connection.connection, psycopg.Connection)


def _pages_orm(rows, batch_size: int) -> Iterator[list[tuple]]:
    last = 0
    while True:
        page = list(rows.filter(id__gt=last).order_by("id").values_list(*_COLUMNS)[:batch_size])
        if not page:
            return
        last = page[-1][0]
        yield page


def _pages_postgresql(connection, consumer: str, projection: registry.Subscriber, batch_size: int
                      ) -> Iterator[list[tuple]]:
    import psycopg

    subscriptions = [(source, sorted(types)) for source, types in sorted(projection.subscriptions.items()) if types]
    if not subscriptions:
        return
    table = connection.ops.quote_name(InboxEvent._meta.db_table)
    which = " OR ".join(["(source_context = %s AND event_type = ANY(%s))"] * len(subscriptions))
    sql = (f"SELECT {', '.join(_COLUMNS)} FROM {table} "
           f"WHERE consumer = %s AND status = %s AND ({which}) AND id > %s ORDER BY id LIMIT %s")
    fixed = [consumer, InboxEvent.APPLIED] + [v for source, types in subscriptions for v in (source, types)]
    last = 0
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        while True:
            cursor.execute(sql, [*fixed, last, batch_size], binary=True)
            page = cursor.fetchall()
            if not page:
                return
            last = page[-1][0]
            yield page


def _envelopes(page: list[tuple], current_versions: dict[tuple[str, str], int]) -> list[Envelope]:
    envelopes = []
    for (_, event_id, source_context, stream_type, stream_id, version, event_type, schema_version, data, metadata,
         recorded_at) in page:
        envelope = Envelope(event_id=event_id, source_context=source_context, stream_type=stream_type,
                            stream_id=stream_id, version=version, event_type=event_type,
                            schema_version=schema_version, data=data, metadata=metadata, recorded_at=recorded_at)
        key = (source_context, event_type)
        current = current_versions.get(key)
        if current is None:
            cls = event_class(source_context, event_type)
            current = current_versions[key] = cls.schema_version if cls is not None else 0
        if schema_version < current:  # recorded before an upcaster existed: bring it up to date
            envelope = envelope.upcasted()
        envelopes.append(envelope)
    return envelopes
