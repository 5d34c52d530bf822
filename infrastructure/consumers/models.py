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
    # A DEAD event a person chose not to apply (the Pipeline page's "discard", with a reason in
    # DeadLetterDecision): a redelivery is a no-op, as for an applied one.
    SKIPPED = "skipped"

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
        # A rebuild replays one consumer's rows in id order; contexts may share the table. The dead
        # ones are few and counted at every metrics scrape: a partial index keeps that count from
        # reading the whole inbox (it cost a busy till 20 % of its throughput at a scrape a second).
        indexes = [models.Index(fields=["consumer", "id"], name="es_inbox_consumer_replay"),
                   models.Index(fields=["consumer"], condition=models.Q(status="dead"), name="es_inbox_dead")]


class DeadLetterDecision(models.Model):
    """What a person decided about one dead letter (a message of the dead-letter topic, named by
    its partition and offset there): replayed to its original topic after a fix, or discarded
    with a reason. One decision per dead letter; kept in the consuming context's database, in the
    transaction that marks its inbox row (so the two cannot disagree)."""

    REPLAYED = "replayed"
    DISCARDED = "discarded"

    id = models.BigAutoField(primary_key=True)
    dlq_topic = models.CharField(max_length=200)
    dlq_partition = models.PositiveIntegerField()
    dlq_offset = models.PositiveBigIntegerField()
    consumer = models.CharField(max_length=32)
    event_id = models.UUIDField(null=True, blank=True)  # none for a message that was not an event
    action = models.CharField(max_length=10, choices=[(REPLAYED, REPLAYED), (DISCARDED, DISCARDED)])
    reason = models.TextField(blank=True, default="")
    # A name, not a key: the users live in the default database, the decision in the context's.
    decided_by = models.CharField(max_length=150)
    decided_at = models.DateTimeField()

    class Meta:
        db_table = "es_dead_letter_decision"
        constraints = [models.UniqueConstraint(fields=["dlq_topic", "dlq_partition", "dlq_offset"],
                                               name="es_dead_letter_decision_once")]
