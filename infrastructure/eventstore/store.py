"""Append to and read from a context's event stream.

Appending is optimistic: the caller states the version it based its decision on, and the new
events take the versions after it. The unique `(stream_id, version)` constraint makes a second
writer that read the same version fail instead of silently interleaving; that failure becomes
`ConcurrencyConflict`. Every appended event gets its outbox row in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from infrastructure.errors import ConcurrencyConflict
from infrastructure.events.base import DomainEvent
from infrastructure.events.serialization import event_to_data
from infrastructure.eventstore.databases import db_for
from infrastructure.eventstore.envelope import Envelope
from infrastructure.eventstore.models import StoredEvent
from infrastructure.outbox.models import OutboxEntry


class EventStore:
    def __init__(self, context: str):
        self.context = context
        self.db = db_for(context)

    def append(self, stream_type: str, stream_id: str, expected_version: int,
               events: Sequence[DomainEvent], metadata: dict | None = None,
               recorded_at=None) -> list[Envelope]:
        if not events:
            return []
        recorded_at = recorded_at or timezone.now()
        stream_id = str(stream_id)
        rows = [
            StoredEvent(event_id=uuid.uuid4(), context=self.context, stream_type=stream_type, stream_id=stream_id,
                        version=expected_version + offset, event_type=event.event_type(),
                        schema_version=event.schema_version, data=event_to_data(event),
                        metadata=metadata or {}, recorded_at=recorded_at)
            for offset, event in enumerate(events, start=1)
        ]
        with transaction.atomic(using=self.db):
            if expected_version > 0 and not StoredEvent.objects.using(self.db).filter(
                    stream_id=stream_id, version=expected_version).exists():
                raise ConcurrencyConflict(
                    f"Stream {stream_id} has no version {expected_version}; the caller's view is invalid.")
            try:
                # A savepoint, so a conflict leaves the surrounding transaction usable for a retry decision.
                with transaction.atomic(using=self.db):
                    StoredEvent.objects.using(self.db).bulk_create(rows)
            except IntegrityError as exc:
                raise ConcurrencyConflict(
                    f"{stream_type} {stream_id} was changed by someone else (expected version "
                    f"{expected_version}); reload it and try again.") from exc
            OutboxEntry.objects.using(self.db).bulk_create(
                [OutboxEntry(position=row.position, context=self.context, stream_id=stream_id) for row in rows])
            transaction.on_commit(lambda: _kick_relay(self.context), using=self.db)
        return [Envelope.from_stored(row) for row in rows]

    def load(self, stream_id: str, after_version: int = 0) -> list[Envelope]:
        rows = (StoredEvent.objects.using(self.db)
                .filter(stream_id=str(stream_id), version__gt=after_version).order_by("version"))
        return [Envelope.from_stored(row) for row in rows]

    def history(self, stream_id: str) -> list[Envelope]:
        """One stream's events, oldest first (for the API and the admin's audit view)."""
        return self.load(stream_id)

    def current_version(self, stream_id: str) -> int:
        last = (StoredEvent.objects.using(self.db).filter(stream_id=str(stream_id))
                .order_by("-version").values_list("version", flat=True).first())
        return last or 0

    def read_all(self, batch_size: int = 1000) -> Iterator[list[Envelope]]:
        """Every event of this context, in position order, in batches (keyset pagination).
        Only for offline use (exports, tests): live readers must not trust position order."""
        last = 0
        while True:
            batch = list(StoredEvent.objects.using(self.db).filter(context=self.context, position__gt=last)
                         .order_by("position")[:batch_size])
            if not batch:
                return
            last = batch[-1].position
            yield [Envelope.from_stored(row) for row in batch]


def _kick_relay(context: str) -> None:
    # Imported late: the relay imports Kafka and Celery, which the store itself does not need.
    from infrastructure.outbox.kick import kick_relay

    kick_relay(context)

