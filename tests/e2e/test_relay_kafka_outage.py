"""Kafka goes down: writes keep succeeding, their events wait in the outbox, a relay pass fails
cleanly and quickly; Kafka comes back: the relay publishes everything, in per-stream order.

Stops the real broker with `scripts/services stop kafka` and always starts it again.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from decimal import Decimal

import pytest
from django.test import override_settings

from infrastructure.eventstore.store import EventStore
from infrastructure.kafka.topics import topic_for
from infrastructure.outbox.models import OutboxEntry
from infrastructure.outbox.relay import relay_pending
from tests.helpers import services, wait_until
from tests.helpers.kafka import event_id, header, read_topic
from tests.lab.domain import ItemAdded, TallyOpened

pytestmark = [pytest.mark.e2e, pytest.mark.disruptive]

LAB = "lab"
FAILED_PASS_BOUND_S = 20.0  # producer flush timeout 10 s + closing the broken producer; never minutes
N_STREAMS = 5
EVENTS_PER_STREAM = 4


def pending(streams) -> list[OutboxEntry]:
    return list(OutboxEntry.objects.filter(stream_id__in=list(streams), published_at__isnull=True)
                .order_by("position"))


def write_stream(store: EventStore, stream: str, start_version: int, count: int):
    envelopes = []
    for n in range(count):
        version = start_version + n
        event = (TallyOpened(tally_id=stream, name="outage") if version == 0 else
                 ItemAdded(tally_id=stream, item=f"i{version}", quantity=1, amount=Decimal("0.10")))
        envelopes += store.append("Tally", stream, version, [event])
    return envelopes


@pytest.mark.django_db(transaction=True)
def test_events_written_while_kafka_is_down_are_published_in_order_once_it_is_back():
    store = EventStore(LAB)
    # Warm up: the topic exists and this process holds a connected producer with the topic's
    # metadata cached, the harder case (a send does not even block; only the flush finds out).
    warm = str(uuid.uuid4())
    write_stream(store, warm, 0, 1)
    assert relay_pending(LAB) == 1

    streams = [str(uuid.uuid4()) for _ in range(N_STREAMS)]
    written = []
    services("stop", "kafka")
    try:
        # Writers are not affected: every append commits (its kick goes to Celery/Redis, which is up).
        for stream in streams:
            written += write_stream(store, stream, 0, EVENTS_PER_STREAM - 1)
        assert len(pending(streams)) == N_STREAMS * (EVENTS_PER_STREAM - 1)

        started = time.monotonic()
        published = relay_pending(LAB)  # must not raise
        failed_pass_s = time.monotonic() - started

        assert published == 0
        assert failed_pass_s < FAILED_PASS_BOUND_S, f"a failing relay pass took {failed_pass_s:.1f}s"
        waiting = pending(streams)
        assert len(waiting) == N_STREAMS * (EVENTS_PER_STREAM - 1)  # nothing marked published
        assert waiting[0].attempts == 1 and waiting[0].last_error  # the failure is on record...
        assert all(entry.attempts == 0 for entry in waiting[1:])  # ...on the event that failed first

        # Embedded-style eager relay in the writer's own thread: the after-commit relay fails,
        # the write still succeeds and returns in bounded time.
        with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
            started = time.monotonic()
            written += write_stream(store, streams[0], EVENTS_PER_STREAM - 1, 1)
            eager_write_s = time.monotonic() - started
        assert eager_write_s < FAILED_PASS_BOUND_S, f"a write with an eager relay took {eager_write_s:.1f}s"
        assert waiting[0].position == pending(streams)[0].position
        assert OutboxEntry.objects.get(position=waiting[0].position).attempts == 2
        for stream in streams[1:]:
            written += write_stream(store, stream, EVENTS_PER_STREAM - 1, 1)
    finally:
        services("start", "kafka")

    def all_published():
        relay_pending(LAB)
        return not pending(streams)

    wait_until(all_published, timeout=120, interval=0.5, message="the relay to publish the backlog after restart")

    records = [r for r in read_topic(topic_for(LAB)) if r.key.decode() in set(streams)]
    assert {event_id(r) for r in records} == {e.event_id for e in written}
    # Per stream, in partition order, the versions come 1..n (first occurrences: after a failure
    # a record may legitimately arrive twice; at least once, never out of order).
    first_seen = defaultdict(list)
    partitions = defaultdict(set)
    for record in records:
        stream = record.key.decode()
        version = int(header(record, "ce_streamversion"))
        partitions[stream].add(record.partition)
        if version not in first_seen[stream]:
            first_seen[stream].append(version)
    assert dict(first_seen) == {s: list(range(1, EVENTS_PER_STREAM + 1)) for s in streams}
    assert all(len(p) == 1 for p in partitions.values())
