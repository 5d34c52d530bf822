"""The audit consumer: one subscriber, `EventArchive`, that archives every event of every
publishing context (consumer group `<prefix>.audit`, subscribed to every context's topic).

It is a projection whose "table" is the archive: `manage.py rebuild_projections --context audit`
empties the archive and replays the audit inbox into it (the benchmark's "rebuild of the
archive"). Registered only where `MONGODB_URL` is set; without it there is no audit consumer and
the audit search reads the event table instead (search.py).
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings

from infrastructure.consumers import registry
from kernel.events import registered_events
from infrastructure.eventstore.envelope import Envelope
from infrastructure.projections.projection import Projection

from . import archive

AUDIT = "audit"


def published_events() -> dict[str, set[str]]:
    """Every event type of every context, by context (the audit context publishes none)."""
    events: dict[str, set[str]] = {}
    for cls in registered_events():
        if cls.context in settings.ALL_CONTEXTS and cls.context != AUDIT:
            events.setdefault(cls.context, set()).add(cls.event_type())
    return events


class EventArchive(Projection):
    name = "archive"
    consumer = AUDIT
    tables = ()  # its rows live in the document database

    @cached_property
    def subscriptions(self) -> dict[str, set[str]]:
        # Computed when first asked: every context's events are registered by then (apps are ready).
        return published_events()

    def handle(self, envelopes: list[Envelope]) -> None:
        archive.append(envelopes)

    def reset(self) -> None:
        archive.clear()


def register_archive() -> None:
    if archive.enabled():
        registry.register(EventArchive())
