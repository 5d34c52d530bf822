"""Poison messages on a topic of the running system (issue 8).

On every partition of sales' topic, ahead of real traffic, go two poison messages: bytes that are
not a CloudEvent at all, and a well-formed CloudEvent `OrderCompleted` whose data no handler can
take (every consumer of it raises). Then tills sell through the API. The consumer processes of
catalog, customers, reporting and sales (separate processes, as deployed) must dead-letter each
poison message to `<prefix>.dlq` with the error and where it came from, and go on: every event
of the sales after them is applied by every consumer, once.

tests/integration/test_consumer_kafka.py covers the same on the lab context with the consumer
loop in a thread; this is the deployed consumers on a real context's topic.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections import Counter

import pytest

from infrastructure.eventstore.envelope import Envelope
from infrastructure.kafka.topics import PARTITIONS
from tests.helpers.consumers import Producer
from tests.helpers.kafka import wait_for_records

from tests.helpers.running_system import (ORDER_EVENTS, SALES_CONSUMERS, TillFloor, applied_by, order_streams, running_system,
                             sales_topic, wait_delivered)

__all__ = ["running_system"]  # the shared fixture, imported for pytest

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TILLS = 2
SALES_AFTER = 8
JUNK = b"\xff\xfe{ this is not a cloud event"


def unusable_order_completed() -> Envelope:
    """A valid envelope of a sales event whose data every consumer's handler rejects."""
    stream = f"poison-{uuid.uuid4().hex[:12]}"
    return Envelope(event_id=uuid.uuid4(), source_context="sales", stream_type="Order", stream_id=stream,
                    version=1, event_type="OrderCompleted", schema_version=1,
                    data={"order_id": "not-a-uuid", "customer_id": "not-a-uuid", "kind": "till"},
                    metadata={"correlation_id": uuid.uuid4().hex}, recorded_at=dt.datetime.now(dt.timezone.utc))


def test_poison_messages_are_dead_lettered_and_the_stream_flows(running_system):
    gw = running_system
    floor = TillFloor.open(gw, TILLS)
    topic = sales_topic(gw)

    poison: dict[tuple[int, int], str] = {}  # (partition, offset) -> kind
    poison_events = []
    with Producer(gw.env["KAFKA_BOOTSTRAP_SERVERS"]) as producer:
        for partition in range(PARTITIONS):
            at = producer.send_message(topic, b"junk", JUNK, [("content-type", b"application/json")],
                                       partition=partition)
            poison[(at.partition, at.offset)] = "not-an-event"
            envelope = unusable_order_completed()
            at = producer.send(topic, envelope, partition=partition)
            poison[(at.partition, at.offset)] = "handler-raises"
            poison_events.append(envelope.event_id)
    sent_at = time.monotonic()

    orders = []
    for n in range(SALES_AFTER):
        response = floor.sell(floor.tills[n % TILLS], f"poison-{uuid.uuid4()}")
        assert response.status == 201, (response.status, response.text[:500])
        orders.append(response.json()["id"])

    # The stream flows: every sale after the poison is applied by every consumer of sales.
    delivered = wait_delivered(gw, orders, timeout=60)
    flowed_s = time.monotonic() - sent_at
    assert delivered.lost() == 0 and delivered.appended == SALES_AFTER * len(ORDER_EVENTS)
    streams = order_streams(gw, floor.till_ids)
    assert all(streams[order] == ORDER_EVENTS for order in orders)

    # Each consumer dead-lettered each poison message (at least once: a rewound batch may repeat).
    expected = {(consumer, where) for consumer in SALES_CONSUMERS for where in poison}

    def dead_letters_of(records):
        return {(dict(r.headers)["pos_consumer"].decode(), (int(dict(r.headers)["pos_original_partition"]),
                 int(dict(r.headers)["pos_original_offset"])))
                for r in records if dict(r.headers).get("pos_original_topic") == topic.encode()}

    # The audit archive keeps whatever is an event (the bad order id too: it archives, it does not
    # interpret); only what is not an event at all is a dead letter there.
    junk = {where for where, kind in poison.items() if kind == "not-an-event"}
    audit_expected = {("audit", where) for where in junk}
    records = wait_for_records(f"{gw.topic_prefix}.dlq", lambda rs: expected | audit_expected <= dead_letters_of(rs),
                               timeout=60, message="a dead letter of every poison message from every consumer of sales")
    ours = [r for r in records if dict(r.headers).get("pos_original_topic") == topic.encode()
            and dict(r.headers)["pos_consumer"].decode() in SALES_CONSUMERS]
    assert dead_letters_of(ours) == expected  # nothing else was given up on
    assert {(c, w) for c, w in dead_letters_of(records) if c == "audit"} == audit_expected
    for record in ours:
        headers = dict(record.headers)
        where = (int(headers["pos_original_partition"]), int(headers["pos_original_offset"]))
        error = headers["pos_error"].decode()
        if poison[where] == "not-an-event":
            assert record.value == JUNK and "not a POS CloudEvent" in error, error
        else:
            assert json.loads(record.value)["order_id"] == "not-a-uuid" and error, error
    # The unusable event is on record as DEAD in each consumer's inbox, not applied anywhere.
    for consumer in SALES_CONSUMERS:
        assert applied_by(gw, consumer, poison_events) == Counter({"dead": len(poison_events)}), consumer
    gw.assert_running()

    by_kind = Counter(poison.values())
    figures = {
        "poison_sent": dict(by_kind), "partitions": PARTITIONS, "consumers": len(SALES_CONSUMERS),
        "dead_letters": len(ours), "dead_letter_repeats": len(ours) - len(expected),
        "sales_after_poison": SALES_AFTER, "events_after_poison": delivered.appended,
        "applied_per_consumer": delivered.applied, "lost": delivered.lost(),
        "seconds_until_all_applied": round(flowed_s, 2),
    }
    print(f"\nFIGURES poison-message {json.dumps(figures)}")
