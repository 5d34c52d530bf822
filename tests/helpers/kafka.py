"""Reading a topic back in tests: every message of every partition, from the beginning up to the
end offsets of the moment of the call, with a bounded wait.

    records = read_topic(topic_for("lab"))
    records = wait_for_records(topic_for("lab"), lambda rs: ids <= event_ids(rs), timeout=30)
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from .waiting import wait_until


def read_topic(topic: str, *, timeout: float = 30.0, bootstrap_servers: str | None = None) -> list[ConsumerRecord]:
    """All records of `topic` (each partition in offset order, partitions one after another).

    Reads up to the end offsets taken when the call starts, so it returns as soon as those are
    reached; fails (WaitTimeout) if the topic does not exist or cannot be read within `timeout`.
    """
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers or settings.KAFKA_BOOTSTRAP_SERVERS,
        client_id=f"pos-tests-reader-{uuid.uuid4().hex[:8]}",
        group_id=None,  # no group: nothing is committed, nothing is shared with real consumers
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=10_000,
        bootstrap_timeout_ms=10_000,
    )
    deadline = time.monotonic() + timeout
    try:
        partitions = wait_until(lambda: consumer.partitions_for_topic(topic), timeout=timeout, interval=0.2,
                                message=f"the partitions of topic {topic}")
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        end = consumer.end_offsets(assigned)
        by_partition: dict[int, list[ConsumerRecord]] = {tp.partition: [] for tp in assigned}

        def caught_up():
            for tp, records in consumer.poll(timeout_ms=200, max_records=5000).items():
                by_partition[tp.partition].extend(records)
            return all(consumer.position(tp) >= end[tp] for tp in assigned)

        wait_until(caught_up, timeout=max(deadline - time.monotonic(), 0.1), interval=0.01,
                   message=f"reading {topic} up to its end offsets {end}")
        return [record for p in sorted(by_partition) for record in by_partition[p]]
    finally:
        consumer.close()


def wait_for_records(topic: str, condition: Callable[[list[ConsumerRecord]], bool], *, timeout: float = 30.0,
                     message: str | None = None) -> list[ConsumerRecord]:
    """Re-read `topic` until `condition(records)` holds; return those records."""
    def satisfied():
        records = read_topic(topic, timeout=min(timeout, 15.0))
        return records if condition(records) else None

    return wait_until(satisfied, timeout=timeout, interval=0.2, message=message or f"records on {topic}")


def header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return value.decode()
    return None


def event_id(record: ConsumerRecord) -> uuid.UUID | None:
    value = header(record, "ce_id")
    return uuid.UUID(value) if value else None


def event_ids(records: list[ConsumerRecord]) -> set[uuid.UUID]:
    return {eid for eid in (event_id(r) for r in records) if eid is not None}


def record_data(record: ConsumerRecord) -> dict:
    return json.loads(record.value)
