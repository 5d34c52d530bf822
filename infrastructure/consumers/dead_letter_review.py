"""Dead letters for a person: read them back, replay one after a fix, or discard one with a reason.

    letters = recent_dead_letters(["reporting"])          # newest first, with their decisions
    replay(letter, by="admin")                            # back to its original topic, as it was
    discard(letter, by="admin", reason="test data, never valid")

Replaying publishes the original message (key, value and headers, without the dead-letter headers)
to the topic it was read from. Every consumer group of that topic sees it again: for the group that
recorded it DEAD the inbox tries it once more (consumers/inbox.py), for the others it is a duplicate
and a no-op. Discarding marks the consumer's inbox row SKIPPED, so a later redelivery is a no-op too.
Each is recorded once (`DeadLetterDecision`, unique per dead letter): a second click is refused.
The decision commits only after the broker acknowledged a replay; if that commit fails the replay
was still published, which is harmless (a redelivery) and can be decided again.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from django.db import IntegrityError, transaction
from django.utils import timezone as dj_timezone

from infrastructure.consumers.dead_letters import DEAD_LETTER_HEADERS
from infrastructure.consumers.models import DeadLetterDecision, InboxEvent
from infrastructure.eventstore.databases import db_for
from infrastructure.kafka import clients
from infrastructure.kafka.topics import dead_letter_topic

READ_TIMEOUT_S = 10.0
PER_PARTITION = 200  # the newest this many of each partition of the dead-letter topic


class AlreadyDecided(Exception):
    """This dead letter was replayed or discarded already."""


@dataclass
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    timestamp: datetime
    topic: str = field(default_factory=dead_letter_topic)
    inbox_status: str | None = None  # the consumer's inbox row for the event, if any
    decision: DeadLetterDecision | None = None

    def header(self, name: str) -> str:
        for key, value in self.headers:
            if key == name:
                return value.decode("utf-8", errors="replace")
        return ""

    @property
    def consumer(self) -> str:
        return self.header("pos_consumer")

    @property
    def error(self) -> str:
        return self.header("pos_error")

    @property
    def original(self) -> tuple[str, str, str]:
        return (self.header("pos_original_topic"), self.header("pos_original_partition"),
                self.header("pos_original_offset"))

    @property
    def original_headers(self) -> list[tuple[str, str]]:
        return [(k, v.decode("utf-8", errors="replace")) for k, v in self.headers if k not in DEAD_LETTER_HEADERS]

    @property
    def event_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.header("ce_id"))
        except ValueError:
            return None  # not an event: it cannot be replayed, only discarded

    @property
    def event_type(self) -> str:
        """`ItemAdded` of the CloudEvents type `pos.lab.ItemAdded.v2` (the whole header if it is not one)."""
        parts = self.header("ce_type").split(".")
        return parts[2] if len(parts) == 4 else self.header("ce_type")

    @property
    def replayable(self) -> bool:
        return self.event_id is not None and bool(self.original[0])


def recent_dead_letters(consumers, *, per_partition: int = PER_PARTITION) -> list[DeadLetter]:
    """The newest dead letters of `consumers`, newest first, each with its inbox status and decision."""
    from django.conf import settings
    from kafka import KafkaConsumer, TopicPartition

    consumers = set(consumers)
    topic = dead_letter_topic()
    reader = KafkaConsumer(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS, client_id="pos-dead-letter-review",
                           group_id=None, enable_auto_commit=False, request_timeout_ms=10_000,
                           bootstrap_timeout_ms=10_000, reconnect_backoff_max_ms=clients.RECONNECT_BACKOFF_MAX_MS)
    letters: list[DeadLetter] = []
    try:
        partitions = reader.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not assigned:
            return []
        reader.assign(assigned)
        starts, ends = reader.beginning_offsets(assigned), reader.end_offsets(assigned)
        for tp in assigned:
            reader.seek(tp, max(starts[tp], ends[tp] - per_partition))
        deadline = time.monotonic() + READ_TIMEOUT_S
        while any(reader.position(tp) < ends[tp] for tp in assigned):
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} took more than {READ_TIMEOUT_S:.0f}s")
            for tp, records in reader.poll(timeout_ms=500, max_records=1000).items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue
                    letter = DeadLetter(tp.partition, record.offset, record.key, record.value,
                                        list(record.headers or ()),
                                        datetime.fromtimestamp(record.timestamp / 1000, tz=timezone.utc))
                    if letter.consumer in consumers:
                        letters.append(letter)
    finally:
        reader.close()
    _attach_state(letters)
    return sorted(letters, key=lambda letter: letter.timestamp, reverse=True)


def _attach_state(letters: list[DeadLetter]) -> None:
    by_consumer: dict[str, list[DeadLetter]] = {}
    for letter in letters:
        by_consumer.setdefault(letter.consumer, []).append(letter)
    for consumer, group in by_consumer.items():
        db = db_for(consumer)
        ids = [letter.event_id for letter in group if letter.event_id]
        statuses = dict(InboxEvent.objects.using(db).filter(consumer=consumer, event_id__in=ids)
                        .values_list("event_id", "status"))
        decisions = {(d.dlq_partition, d.dlq_offset): d for d in DeadLetterDecision.objects.using(db).filter(
            dlq_topic=dead_letter_topic(), consumer=consumer, dlq_offset__in=[letter.offset for letter in group])}
        for letter in group:
            letter.inbox_status = statuses.get(letter.event_id)
            letter.decision = decisions.get((letter.partition, letter.offset))


def find(consumers, partition: int, offset: int) -> DeadLetter | None:
    return next((letter for letter in recent_dead_letters(consumers)
                 if (letter.partition, letter.offset) == (partition, offset)), None)


def _decide(letter: DeadLetter, action: str, *, by: str, reason: str, then) -> DeadLetterDecision:
    db = db_for(letter.consumer)
    try:
        with transaction.atomic(using=db):
            decision = DeadLetterDecision.objects.using(db).create(
                dlq_topic=letter.topic, dlq_partition=letter.partition, dlq_offset=letter.offset,
                consumer=letter.consumer, event_id=letter.event_id, action=action, reason=reason, decided_by=by,
                decided_at=dj_timezone.now())
            then(db)
    except IntegrityError as exc:
        raise AlreadyDecided(f"{letter.topic}[{letter.partition}]@{letter.offset} was decided already") from exc
    return decision


def replay(letter: DeadLetter, *, by: str, reason: str = "", timeout: float = 15.0) -> DeadLetterDecision:
    if not letter.replayable:
        raise ValueError("This message is not an event (no ce_id): it can only be discarded.")
    topic = letter.original[0]
    headers = [(k, v) for k, v in letter.headers if k not in DEAD_LETTER_HEADERS]

    def publish(db):
        clients.producer().send(topic, key=letter.key, value=letter.value, headers=headers).get(timeout=timeout)

    return _decide(letter, DeadLetterDecision.REPLAYED, by=by, reason=reason, then=publish)


def discard(letter: DeadLetter, *, by: str, reason: str) -> DeadLetterDecision:
    if not reason.strip():
        raise ValueError("Say why the dead letter is discarded.")

    def skip(db):
        if letter.event_id:
            InboxEvent.objects.using(db).filter(consumer=letter.consumer, event_id=letter.event_id,
                                                status=InboxEvent.DEAD).update(status=InboxEvent.SKIPPED)

    return _decide(letter, DeadLetterDecision.DISCARDED, by=by, reason=reason.strip(), then=skip)
