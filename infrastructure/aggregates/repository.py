"""Load an aggregate by replaying its stream (from a snapshot when there is one); save its new
events with the version it was loaded at as the expected version."""

from __future__ import annotations

from typing import Generic, TypeVar

from django.utils import timezone

from kernel.aggregate import Aggregate
from kernel.errors import NotFound
from infrastructure.eventstore.envelope import Envelope
from infrastructure.eventstore.models import Snapshot
from infrastructure.eventstore.store import EventStore

A = TypeVar("A", bound=Aggregate)


class Repository(Generic[A]):
    def __init__(self, aggregate_cls: type[A], metadata: dict | None = None, store: EventStore | None = None,
                 *, savepoint: bool = True):
        self.cls = aggregate_cls
        self.store = store or EventStore(aggregate_cls.context)
        self.metadata = metadata or {}
        self.savepoint = savepoint  # passed to EventStore.append (see there)

    def get(self, stream_id, *, label: str | None = None) -> A:
        aggregate = self.get_or_new(stream_id)
        if not aggregate.exists:
            raise NotFound(f"No {label or self.cls.stream_type} with id {stream_id}.")
        return aggregate

    def get_or_new(self, stream_id) -> A:
        stream_id = str(stream_id)
        start, after = None, 0
        if self.cls.snapshot_every:
            snap = Snapshot.objects.using(self.store.db).filter(stream_id=stream_id).first()
            if snap is not None:
                start = self.cls.from_snapshot(stream_id, snap.state)
                start.version = after = snap.version
        events = [e.to_event() for e in self.store.load(stream_id, after_version=after)]
        aggregate = self.cls.replay(stream_id, events, start=start)
        aggregate._snapshot_version = after
        return aggregate

    def save(self, aggregate: A) -> list[Envelope]:
        pending = aggregate.collect_pending()
        expected = aggregate.version - len(pending)
        recorded = self.store.append(self.cls.stream_type, aggregate.id, expected, pending, self.metadata,
                                     savepoint=self.savepoint)
        every = self.cls.snapshot_every
        if every and pending and aggregate.version - getattr(aggregate, "_snapshot_version", 0) >= every:
            # One upsert statement (INSERT ... ON CONFLICT DO UPDATE), not update_or_create's
            # savepoint + SELECT FOR UPDATE + UPDATE.
            Snapshot.objects.using(self.store.db).bulk_create(
                [Snapshot(stream_id=aggregate.id, context=self.cls.context, stream_type=self.cls.stream_type,
                          version=aggregate.version, state=aggregate.to_snapshot(), taken_at=timezone.now())],
                update_conflicts=True, unique_fields=["stream_id"],
                update_fields=["context", "stream_type", "version", "state", "taken_at"])
            aggregate._snapshot_version = aggregate.version
        return recorded
