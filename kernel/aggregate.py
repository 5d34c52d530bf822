"""Base for event-sourced aggregates.

An aggregate's command methods check rules and call `self._record(Event(...))`; its
`when_<EventType>` methods are the only place its state changes. Replaying history and taking
a new decision go through the same `when_` methods, so they cannot disagree.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from kernel.events import DomainEvent


class Aggregate:
    context: ClassVar[str]
    stream_type: ClassVar[str]
    # Take a snapshot every N events (None: never). Needs to_snapshot/from_snapshot.
    snapshot_every: ClassVar[int | None] = None

    def __init__(self, stream_id: str):
        self.id = str(stream_id)
        self.version = 0
        self._pending: list[DomainEvent] = []

    # -- event application -------------------------------------------------------------------
    def _record(self, event: DomainEvent) -> None:
        self._apply(event)
        self._pending.append(event)

    def _apply(self, event: DomainEvent) -> None:
        handler = getattr(self, f"when_{event.event_type()}", None)
        if handler is None:
            raise TypeError(f"{type(self).__name__} has no when_{event.event_type()}")
        handler(event)
        self.version += 1

    @classmethod
    def replay(cls, stream_id: str, events, *, start=None):
        aggregate = start if start is not None else cls(stream_id)
        for event in events:
            aggregate._apply(event)
        return aggregate

    @property
    def uuid(self) -> uuid.UUID:
        """The stream id as a UUID (for aggregates identified by one)."""
        return uuid.UUID(self.id)

    @property
    def exists(self) -> bool:
        return self.version > 0

    def collect_pending(self) -> list[DomainEvent]:
        pending, self._pending = self._pending, []
        return pending

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        return tuple(self._pending)

    # -- snapshots (optional) ----------------------------------------------------------------
    def to_snapshot(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} sets snapshot_every but has no to_snapshot()")

    @classmethod
    def from_snapshot(cls, stream_id: str, state: dict):
        raise NotImplementedError(f"{cls.__name__} sets snapshot_every but has no from_snapshot()")
