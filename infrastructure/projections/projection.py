"""A projection: a subscriber that owns read tables and can be rebuilt from the inbox.

The rule is one `on_<EventType>(envelope)` method per event (the Subscriber's default `handle`).
Rows that reflect one stream remember the stream version they show (`row.version`), so an event
delivered again under a new id changes nothing: `current_row` hands out the row only while it is
older than the event, `save_row` records the event's version; `update_row` does both in one
UPDATE when the change needs no look at the row (most of a sale's events: a round trip each).

Two documented exceptions handle batches: reporting's projections (rebuild speed) and the
catalog's stock movements (a poll's sales touch a few rows many times); their modules say why."""

from __future__ import annotations

from typing import ClassVar

from django.db import connections

from infrastructure.consumers.registry import Subscriber
from infrastructure.eventstore.databases import db_for


class Projection(Subscriber):
    replayable = True
    tables: ClassVar[tuple]  # the Django models whose rows this projection owns, and only it writes

    @property
    def db(self) -> str:
        return db_for(self.consumer)

    def current_row(self, queryset, e, **key):
        """The row `key` selects, locked, or None when it already reflects `e`. A missing row is an
        error (retried, then dead-lettered): the stream's first event was not applied before it."""
        row = queryset.select_for_update().filter(**key).first()
        if row is None:
            raise LookupError(f"{e.source_context}.{e.event_type} {e.event_id} for stream {e.stream_id}: no row for "
                              f"{queryset.model._meta.verbose_name} {key}; its first event was not applied before it")
        return row if e.version > row.version else None

    def save_row(self, row, e, *, stamp: str | None = "updated_at", **changes) -> None:
        """Set `changes`, the event's stream version and (unless `stamp` is None) its time, and save.
        A row made in this handler (not loaded) is inserted at once, without trying an UPDATE first."""
        for name, value in changes.items():
            setattr(row, name, value)
        row.version = e.version
        if stamp:
            setattr(row, stamp, e.recorded_at)
        row.save(using=self.db, force_insert=row._state.adding)

    def update_row(self, queryset, e, key: dict, *, stamp: str | None = "updated_at", **changes) -> bool:
        """`current_row` and `save_row` in one UPDATE, for changes that need no look at the row
        first (values, or F() expressions): True if the row changed, False if it already reflects
        `e`. A missing row is the same error as in `current_row`."""
        changes["version"] = e.version
        if stamp:
            changes[stamp] = e.recorded_at
        if queryset.filter(version__lt=e.version, **key).update(**changes):
            return True
        if not queryset.filter(**key).exists():
            self.current_row(queryset, e, **key)  # raises the missing-row error
        return False

    def reset(self) -> None:
        """Empty the owned tables, inside the rebuild's transaction. DELETE rather than TRUNCATE:
        readers keep seeing the old rows (MVCC) until the rebuild commits, instead of blocking."""
        connection = connections[self.db]
        with connection.cursor() as cursor:
            for model in self.tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
