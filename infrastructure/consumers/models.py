from django.db import models


class InboxEvent(models.Model):
    """An event received by a consuming context: the dedupe record and the local replay log.

    A consumer inserts the event here and applies it to its projections and policies in one
    transaction; the unique `(consumer, event_id)` makes a redelivery a no-op. Projections are
    rebuilt by replaying this table (in `id` order: the order they were applied in), so a
    context never needs another context's database to rebuild.
    """

    APPLIED = "applied"
    DEAD = "dead"  # failed repeatedly; sent to the dead-letter topic, not applied

    id = models.BigAutoField(primary_key=True)
    consumer = models.CharField(max_length=32)
    event_id = models.UUIDField()
    source_context = models.CharField(max_length=32)
    stream_type = models.CharField(max_length=64)
    stream_id = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    event_type = models.CharField(max_length=100)
    schema_version = models.PositiveSmallIntegerField(default=1)
    data = models.JSONField()
    metadata = models.JSONField(default=dict)
    recorded_at = models.DateTimeField()
    received_at = models.DateTimeField()
    status = models.CharField(max_length=8, default=APPLIED)
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "es_inbox"
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event_id"], name="es_inbox_consumer_event_uniq"),
        ]
        # A rebuild replays one consumer's rows in id order; contexts may share the table.
        indexes = [models.Index(fields=["consumer", "id"], name="es_inbox_consumer_replay")]
