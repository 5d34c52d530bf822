"""The pipeline's state, read when asked: relay backlog, consumer lag, last applied event, dead
events, rebuilds running. One place for the figures `/metrics`, `/health/ready` and the back
office's Pipeline page show, so they never disagree.

    backlog = relay_backlog(["sales"])        # {"sales": Backlog(pending=3, oldest_seconds=0.4)}
    lags = consumer_lags(["reporting"])       # [PartitionLag(consumer="reporting", ..., lag=12)]

Everything is read from the contexts this process serves (`POS_CONTEXTS`), on each context's own
database (`db_for`); lag comes from Kafka (end offset minus the group's committed offset).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from infrastructure.consumers import registry
from infrastructure.consumers.models import InboxEvent
from infrastructure.eventstore.databases import db_for
from infrastructure.eventstore.models import StoredEvent
from infrastructure.outbox.models import OutboxEntry

KAFKA_TIMEOUT_MS = 3000


@dataclass(frozen=True)
class Backlog:
    pending: int  # outbox rows not yet published
    oldest_seconds: float  # age of the oldest of them (0 when none)


@dataclass(frozen=True)
class PartitionLag:
    consumer: str
    group: str
    topic: str
    partition: int
    end: int  # the partition's end offset (the next record's)
    committed: int  # the group's committed offset (the earliest offset while it has none)
    lag: int


@dataclass(frozen=True)
class LastApplied:
    event_type: str
    event_id: str
    recorded_at: datetime  # when the publishing context appended it
    received_at: datetime  # when this consumer applied it


def served_contexts() -> tuple[str, ...]:
    return tuple(settings.POS_CONTEXTS)


def served_consumers() -> list[str]:
    """The consuming contexts among this process's POS_CONTEXTS."""
    return [context for context in served_contexts() if registry.subscribers_of(context)]


def every_context() -> tuple[str, ...]:
    """Every context, those this process serves first. /metrics keeps to the served ones (each
    process exports its own series, none twice); the back office's Pipeline page shows them all,
    whichever process serves it: a deployment's processes share their database settings (only
    POS_CONTEXTS differs), so each can read every context's outbox and inbox."""
    served = served_contexts()
    return (*served, *(c for c in settings.ALL_CONTEXTS if c not in served))


def every_consumer() -> list[str]:
    """Every consuming context, this process's first (see every_context)."""
    served = served_consumers()
    return [*served, *(c for c in registry.consumers() if c not in served)]


def relay_backlog(contexts=None) -> dict[str, Backlog]:
    contexts = list(served_contexts() if contexts is None else contexts)
    by_database: dict[str, list[str]] = {}
    for context in contexts:
        by_database.setdefault(db_for(context), []).append(context)
    backlog = dict.fromkeys(contexts, Backlog(0, 0.0))
    now = timezone.now()
    for db, names in by_database.items():
        # The partial index es_outbox_pending holds exactly these rows: cheap however long the outbox.
        rows = (OutboxEntry.objects.using(db).filter(published_at__isnull=True, context__in=names)
                .values("context").annotate(pending=Count("position"), first=Min("position")))
        for row in rows:
            recorded = (StoredEvent.objects.using(db).filter(position=row["first"])
                        .values_list("recorded_at", flat=True).first())
            age = max(0.0, (now - recorded).total_seconds()) if recorded else 0.0
            backlog[row["context"]] = Backlog(row["pending"], age)
    return backlog


def last_applied(consumers=None) -> dict[str, LastApplied | None]:
    result = {}
    for consumer in served_consumers() if consumers is None else consumers:
        row = (InboxEvent.objects.using(db_for(consumer)).filter(consumer=consumer, status=InboxEvent.APPLIED)
               .order_by("-id").values("event_type", "event_id", "recorded_at", "received_at").first())
        result[consumer] = LastApplied(row["event_type"], str(row["event_id"]), row["recorded_at"],
                                       row["received_at"]) if row else None
    return result


def dead_events(consumers=None) -> dict[str, int]:
    """Events each consumer recorded DEAD (sent to the dead-letter topic, not applied)."""
    result = {}
    for consumer in served_consumers() if consumers is None else consumers:
        result[consumer] = InboxEvent.objects.using(db_for(consumer)).filter(
            consumer=consumer, status=InboxEvent.DEAD).count()
    return result


def rebuilds_running() -> int:
    from infrastructure.projections.models import ProjectionRebuild

    return ProjectionRebuild.objects.filter(status=ProjectionRebuild.Status.RUNNING).count()


# --- Kafka ------------------------------------------------------------------------------------
_admin = None
_admin_lock = threading.Lock()


def _kafka_admin():
    """One admin client per process, made on first use and dropped after an error (a scrape every
    few seconds must not start and stop a client's threads each time)."""
    global _admin
    if _admin is None:
        from infrastructure.kafka import clients

        _admin = clients.admin()
    return _admin


def _drop_admin() -> None:
    global _admin
    admin, _admin = _admin, None
    if admin is not None:
        try:
            admin.close()
        except Exception:  # noqa: BLE001 - a broken client is dropped either way
            pass


def consumer_lags(consumers=None) -> list[PartitionLag]:
    """Per consumer group and partition of its source topics: end offset - committed offset.
    Raises if Kafka cannot be asked (the caller says so rather than reporting 0)."""
    from kafka import TopicPartition
    from kafka.admin import OffsetSpec

    from infrastructure.consumers.runner import group_id_for, topics_for

    consumers = served_consumers() if consumers is None else list(consumers)
    if not settings.KAFKA_ENABLED or not consumers:
        return []
    with _admin_lock:
        try:
            admin = _kafka_admin()
            wanted_topics = sorted({topic for consumer in consumers for topic in topics_for(consumer)})
            partitions = {t["name"]: sorted(p["partition_index"] for p in t["partitions"])
                          for t in admin.describe_topics(wanted_topics) if t.get("error_code", 0) == 0}
            tps = [TopicPartition(topic, p) for topic, ps in partitions.items() for p in ps]
            if not tps:
                return []
            ends = admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.LATEST), timeout_ms=KAFKA_TIMEOUT_MS)
            starts = admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.EARLIEST),
                                                  timeout_ms=KAFKA_TIMEOUT_MS)
            groups = {consumer: group_id_for(consumer) for consumer in consumers}
            committed = admin.list_group_offsets(
                {group: [tp for tp in tps if tp.topic in topics_for(consumer)] for consumer, group in groups.items()})
        except Exception:
            _drop_admin()
            raise
    lags = []
    for consumer, group in groups.items():
        offsets = committed.get(group, {})
        for tp in tps:
            if tp.topic not in topics_for(consumer):
                continue
            end, start = ends[tp].offset, starts[tp].offset
            done = offsets.get(tp)
            # No commit yet (-1): the group starts at the earliest offset (auto_offset_reset).
            position = done.offset if done is not None and done.offset >= 0 else start
            lags.append(PartitionLag(consumer, group, tp.topic, tp.partition, end, position, max(0, end - position)))
    return lags


def dead_letter_topic_sizes() -> dict[str, int]:
    """Messages in the dead-letter topic (end - earliest offsets, summed over its partitions)."""
    from kafka import TopicPartition
    from kafka.admin import OffsetSpec

    from infrastructure.kafka.topics import dead_letter_topic

    if not settings.KAFKA_ENABLED:
        return {}
    topic = dead_letter_topic()
    with _admin_lock:
        try:
            admin = _kafka_admin()
            described = [t for t in admin.describe_topics([topic]) if t.get("error_code", 0) == 0]
            if not described:
                return {topic: 0}
            tps = [TopicPartition(topic, p["partition_index"]) for p in described[0]["partitions"]]
            ends = admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.LATEST), timeout_ms=KAFKA_TIMEOUT_MS)
            starts = admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.EARLIEST),
                                                  timeout_ms=KAFKA_TIMEOUT_MS)
        except Exception:
            _drop_admin()
            raise
    return {topic: sum(ends[tp].offset - starts[tp].offset for tp in tps)}
