"""The event table: append-only, one row per event, ordered within a stream by `version`.

One table holds every context's events, told apart by `context`. Every query goes through
`databases.db_for(context)`, so a context's rows can live in a database of its own by
configuration alone (`DATABASE_URL_<CONTEXT>`).
"""

from django.db import models


class StoredEvent(models.Model):
    # Global position: allocation order, NOT commit order. Readers must never assume that
    # "position > last seen" finds every newer event (see outbox/relay.py).
    position = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True)
    context = models.CharField(max_length=32)
    stream_type = models.CharField(max_length=64)
    stream_id = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    event_type = models.CharField(max_length=100)
    schema_version = models.PositiveSmallIntegerField(default=1)
    data = models.JSONField()
    metadata = models.JSONField(default=dict)
    recorded_at = models.DateTimeField()

    class Meta:
        db_table = "es_event"
        constraints = [
            models.UniqueConstraint(fields=["stream_id", "version"], name="es_event_stream_version_uniq"),
        ]
        indexes = [models.Index(fields=["context", "event_type"], name="es_event_context_type")]

    def __str__(self):
        return f"{self.context}.{self.event_type} {self.stream_id}@{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Events are immutable: a stored event is never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Events are immutable: a stored event is never deleted")


class Snapshot(models.Model):
    """Latest state of a long stream at a version, so loading replays only what came after.
    A cache: dropping every snapshot changes nothing but speed."""

    stream_id = models.CharField(max_length=64, primary_key=True)
    context = models.CharField(max_length=32)
    stream_type = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    state = models.JSONField()
    taken_at = models.DateTimeField()

    class Meta:
        db_table = "es_snapshot"
