from django.db import models


class OutboxEntry(models.Model):
    """One row per event to publish, written in the same transaction as the event itself.

    The relay selects rows by *state* (`published_at IS NULL`), never by "position greater than
    the last one seen", so an event whose transaction commits late is still found.
    """

    position = models.BigIntegerField(primary_key=True)  # = StoredEvent.position
    context = models.CharField(max_length=32)
    stream_id = models.CharField(max_length=64)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "es_outbox"
        indexes = [
            models.Index(fields=["context", "position"], name="es_outbox_pending",
                         condition=models.Q(published_at__isnull=True)),
        ]
