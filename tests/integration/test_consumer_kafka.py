"""The Kafka consumer loop against the real broker and PostgreSQL: events are applied once,
poison messages go to the dead-letter topic while the next message is still applied, offsets
are committed only after the database commit, and `consume_events` stops cleanly on SIGTERM.

Each test gets topics of its own (a fresh KAFKA_TOPIC_PREFIX), so no test sees another's messages.
"""

import os
import signal
import sys
import time
import uuid
from decimal import Decimal
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection
from kafka import KafkaConsumer, TopicPartition
from kafka.cluster import ClusterMetadata
from kafka.coordinator.assignors.range import RangePartitionAssignor

from infrastructure.locks import lock_key
from infrastructure.consumers.models import InboxEvent
from infrastructure.consumers.runner import group_id_for
from infrastructure.kafka import clients
from infrastructure.kafka.cloudevents import to_message
from infrastructure.kafka.topics import dead_letter_topic, topic_for
from tests.helpers import ManagedProcess, child_env, wait_until
from tests.helpers.consumers import (
    ConsumerThread,
    Producer,
    TallyScript,
    count_rows,
    inbox_count,
    lab_envelope,
    tally_rows,
)
from tests.helpers.kafka import read_topic

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def prefix(settings, services_env):
    """Topics and consumer group of this test only."""
    base = os.environ.get("KAFKA_TOPIC_PREFIX") or "pos-test"
    settings.KAFKA_TOPIC_PREFIX = f"{base}.{uuid.uuid4().hex[:10]}"
    return settings.KAFKA_TOPIC_PREFIX


@pytest.fixture
def bootstrap(services_env):
    return services_env["KAFKA_BOOTSTRAP_SERVERS"]


@pytest.fixture
def producer(bootstrap):
    with Producer(bootstrap) as p:
        yield p


@pytest.fixture
def offsets(bootstrap, prefix):
    """Reads the lab consumer group's committed offsets (a separate client: it joins no group)."""
    checker = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id_for("lab"), enable_auto_commit=False,
                            request_timeout_ms=10_000, bootstrap_timeout_ms=10_000)

    class Offsets:
        def committed(self, tp: TopicPartition):
            return checker.committed(tp)

        def all_committed(self, topic: str) -> bool:
            """Every partition's committed offset is its end offset (nothing left to re-read)."""
            partitions = [TopicPartition(topic, p) for p in sorted(checker.partitions_for_topic(topic) or ())]
            ends = checker.end_offsets(partitions)
            return bool(partitions) and all((checker.committed(tp) or 0) == ends[tp] for tp in partitions)

    yield Offsets()
    checker.close(autocommit=False)


def test_events_from_kafka_are_applied_to_the_projections(prefix, producer):
    tally = TallyScript()
    events = [tally.opened(), tally.added("apple", 2, "3.00"), tally.added_v1("pear", 1), tally.removed("apple", 1)]

    with ConsumerThread() as consumer:
        sent = [producer.send(topic_for("lab"), event) for event in events]
        wait_until(lambda: tally_rows().get(tally.tally_id) == tally.expected_row(), timeout=30,
                   message="the tally's totals")
        consumer.wait_messages(len(events))

    assert tally_rows() == {tally.tally_id: (tally.tally_id, tally.name, 2, Decimal("3.00"), 4)}
    assert count_rows() == {"TallyOpened": 1, "ItemAdded": 2, "ItemRemoved": 1}
    assert (consumer.stats.applied, consumer.stats.duplicates, consumer.stats.dead) == (4, 0, 0)
    # Each inbox row says which message it came from; the v1 event is stored upcast.
    rows = {row.event_id: row for row in InboxEvent.objects.filter(consumer="lab")}
    for event, metadata in zip(events, sent, strict=True):
        assert rows[event.event_id].metadata["_kafka"] == {"topic": metadata.topic, "partition": metadata.partition,
                                                           "offset": metadata.offset}
    assert rows[events[2].event_id].schema_version == 2 and rows[events[2].event_id].data["amount"] == "0.00"


def test_the_same_message_twice_has_one_effect(prefix, producer):
    tally = TallyScript()
    opened = tally.opened()
    key, value, headers = to_message(opened)
    topic = topic_for("lab")

    with ConsumerThread() as consumer:
        producer.send_message(topic, key, value, headers)
        producer.send_message(topic, key, value, headers)  # likely in the same poll
        consumer.wait_messages(2)
        producer.send_message(topic, key, value, headers)  # surely in a later one
        consumer.wait_messages(3)

    assert inbox_count() == 1
    assert count_rows() == {"TallyOpened": 1}
    assert tally_rows()[tally.tally_id] == tally.expected_row()
    assert (consumer.stats.applied, consumer.stats.duplicates) == (1, 2)


def test_max_messages_ends_the_loop_after_that_many_messages(prefix, producer):
    tally = TallyScript()
    topic = topic_for("lab")
    clients.ensure_topics([topic])
    for event in (tally.opened(), tally.added("a", 1), tally.added("b", 1)):
        producer.send(topic, event)

    consumer = ConsumerThread(max_messages=2)
    try:
        consumer.start()
        wait_until(lambda: not consumer.thread.is_alive(), timeout=30, message="the loop to stop by itself")
    finally:
        consumer.stop()

    assert consumer.stats.messages == 2
    assert inbox_count() == 2 and count_rows() == {"TallyOpened": 1, "ItemAdded": 1}


def test_poison_messages_go_to_the_dead_letter_topic_and_the_next_message_is_applied(prefix, producer):
    tally = TallyScript()
    topic = topic_for("lab")
    opened = tally.opened()
    tally.version += 1
    # A well-formed CloudEvent whose data makes the TallyTotals projection raise.
    poison = lab_envelope("ItemAdded", tally.tally_id, tally.version, item="x", quantity="lots", amount="1.00")
    junk_headers = [("origin", b"somewhere-else"), ("ce_id", b"not-a-uuid")]
    good = tally.added("apple", 2, "5.00")

    with ConsumerThread() as consumer:
        producer.send(topic, opened)
        poison_at = producer.send(topic, poison)
        # Not a CloudEvent at all; same key, so it sits between the poison and the good one in one partition.
        junk_at = producer.send_message(topic, tally.tally_id.encode(), b"\xff{ not json", junk_headers)
        good_at = producer.send(topic, good)
        assert poison_at.partition == junk_at.partition == good_at.partition
        assert poison_at.offset < junk_at.offset < good_at.offset

        expected = (tally.tally_id, tally.name, 2, Decimal("5.00"), 2)  # opened + good; the poison not at all
        wait_until(lambda: tally_rows().get(tally.tally_id) == expected, timeout=30,
                   message="the good message after the poison to be applied")
        consumer.wait_messages(4)

    assert (consumer.stats.applied, consumer.stats.dead, consumer.stats.not_events) == (2, 1, 1)
    assert count_rows() == {"TallyOpened": 1, "ItemAdded": 1}  # the poison left no trace in any projection
    dead_row = InboxEvent.objects.get(consumer="lab", event_id=poison.event_id)
    assert dead_row.status == InboxEvent.DEAD and "ValueError: invalid literal for int()" in dead_row.error
    assert inbox_count() == 3  # opened, poison (DEAD), good: the junk message is recorded nowhere

    # (In the order the consumer gave up: the junk at once, while decoding; the poison after its retries.)
    dead_letters = read_topic(dead_letter_topic())
    assert len(dead_letters) == 2
    dead_poison, dead_junk = sorted(dead_letters, key=lambda r: int(dict(r.headers)["pos_original_offset"]))
    _, poison_value, poison_headers = to_message(poison)
    for record, original_value, original_headers, at in ((dead_poison, poison_value, poison_headers, poison_at),
                                                         (dead_junk, b"\xff{ not json", junk_headers, junk_at)):
        headers = dict(record.headers)
        assert (record.key, record.value) == (tally.tally_id.encode(), original_value)
        assert list(record.headers)[:len(original_headers)] == list(original_headers)
        assert headers["pos_consumer"] == b"lab"
        assert headers["pos_original_topic"] == topic.encode()
        assert headers["pos_original_partition"] == str(at.partition).encode()
        assert headers["pos_original_offset"] == str(at.offset).encode()
    assert dict(dead_poison.headers)["pos_error"].startswith(b"ValueError: invalid literal for int()")
    assert b"not a POS CloudEvent" in dict(dead_junk.headers)["pos_error"]


def _other_session():
    params = connection.settings_dict
    return psycopg.connect(host=params["HOST"], port=params["PORT"], dbname=params["NAME"], user=params["USER"],
                           password=params["PASSWORD"], connect_timeout=5)


def test_offsets_are_committed_only_after_the_database_commit(prefix, producer, offsets):
    tally = TallyScript()
    topic = topic_for("lab")
    opened, added = tally.opened(), tally.added("apple", 1)

    with ConsumerThread():
        first = producer.send(topic, opened)
        tp = TopicPartition(topic, first.partition)
        wait_until(lambda: offsets.committed(tp) == first.offset + 1, timeout=30, message="the first commit")

        with _other_session() as blocker, _other_session() as observer:
            observer.autocommit = True
            # Hold the consumer lock exclusively (as a rebuild does): the consumer's transaction must wait.
            blocker.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key("consumer", "lab")])
            second = producer.send(topic, added)
            assert second.partition == first.partition

            def consumer_waits_for_the_lock():
                return observer.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                                        ).fetchone()[0] > 0

            wait_until(consumer_waits_for_the_lock, timeout=30, message="the consumer to wait for the lock")
            # It has the message, but its transaction cannot commit, so neither may the offset.
            assert offsets.committed(tp) == second.offset
            assert not InboxEvent.objects.filter(event_id=added.event_id).exists()
            blocker.rollback()  # releases the lock

        wait_until(lambda: offsets.committed(tp) == second.offset + 1, timeout=30,
                   message="the offset commit after the database commit")
        assert InboxEvent.objects.filter(event_id=added.event_id, status=InboxEvent.APPLIED).exists()
        assert tally_rows()[tally.tally_id] == tally.expected_row()

    # Stopped: everything it read is committed, so a new member of the group reads nothing again.
    assert offsets.all_committed(topic)
    again = ConsumerThread(idle_exit=2.0)
    try:
        again.start()
        wait_until(lambda: not again.thread.is_alive(), timeout=30, message="the second consumer to go idle and exit")
    finally:
        again.stop()
    assert again.stats.messages == 0
    assert inbox_count() == 2 and tally_rows()[tally.tally_id] == tally.expected_row()


def test_consume_events_applies_events_and_exits_0_on_sigterm(prefix, producer, offsets):
    params = connection.settings_dict
    assert params["NAME"].startswith("test_")
    database_url = (f"postgres://{quote(params['USER'], safe='')}:{quote(params['PASSWORD'], safe='')}"
                    f"@{params['HOST']}:{params['PORT']}/{params['NAME']}")
    env = child_env({"DATABASE_URL": database_url, "KAFKA_TOPIC_PREFIX": prefix, "POS_LOG_LEVEL": "INFO"})
    topic = topic_for("lab")
    clients.ensure_topics([topic])
    tally = TallyScript()
    events = [tally.opened(), tally.added("apple", 3, "7.50")]

    cmd = [sys.executable, "manage.py", "consume_events", "--context", "lab", "--verbosity", "3"]
    with ManagedProcess("consume-events-lab", cmd, env, stop_timeout=10) as process:
        for event in events:
            producer.send(topic, event)

        def applied():
            process.assert_running()
            return tally_rows().get(tally.tally_id) == tally.expected_row()

        wait_until(applied, timeout=60, message=f"the consumer process to apply the events (log {process.log_path})")
        process.proc.send_signal(signal.SIGTERM)
        code = process.proc.wait(timeout=10)
        log = process.log_text()

    assert code == 0, log
    assert "received SIGTERM" in log
    assert "lab: 2 messages" in log  # the summary
    assert offsets.all_committed(topic)
    assert count_rows() == {"TallyOpened": 1, "ItemAdded": 1}


def _transaction_of(event_ids) -> set[str]:
    """The ids of the transactions that wrote these events' inbox rows (PostgreSQL's xmin)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT xmin::text FROM {InboxEvent._meta.db_table} WHERE event_id = ANY(%s)",
                       [list(event_ids)])
        return {row[0] for row in cursor.fetchall()}


def test_one_poll_over_several_partitions_is_applied_in_one_transaction(prefix, producer, offsets):
    topic = topic_for("lab")
    tallies = [TallyScript() for _ in range(3)]
    first, second, third = (tally.opened() for tally in tallies)

    with ConsumerThread() as consumer, _other_session() as blocker, _other_session() as observer:
        observer.autocommit = True
        blocker.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key("consumer", "lab")])
        producer.send(topic, first, partition=0)
        wait_until(lambda: observer.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                                            ).fetchone()[0] > 0, timeout=30, message="the consumer to wait for the lock")
        # While its transaction waits, records arrive on two other partitions: the next poll holds both.
        producer.send(topic, second, partition=1)
        producer.send(topic, third, partition=2)
        blocker.rollback()
        consumer.wait_messages(3)
        wait_until(lambda: all(offsets.committed(TopicPartition(topic, p)) == 1 for p in (0, 1, 2)), timeout=30,
                   message="the three partitions' offsets to be committed")

    assert inbox_count() == 3 and len(tally_rows()) == 3
    assert _transaction_of([second.event_id, third.event_id]) != _transaction_of([first.event_id])
    assert len(_transaction_of([second.event_id, third.event_id])) == 1  # one transaction for both partitions
    assert consumer.stats.batches == 2


def test_fetch_pacing_holds_busy_fetches_for_a_batch_and_answers_idle_ones_at_the_first_byte(prefix, settings):
    """The values kafka-python's fetcher builds each fetch request from (an upgrade that moves them
    fails here), switched by whether the last poll brought records; explicit ones are kept."""
    topic = topic_for("lab")
    clients.ensure_topics([topic])
    paced = clients.consumer(group_id_for("lab"), [topic])
    fixed = clients.consumer(group_id_for("lab"), [topic], fetch_max_wait_ms=7)
    try:
        def pacing(c):
            return c._fetcher.config["fetch_min_bytes"], c._fetcher.config["fetch_max_wait_ms"]

        assert pacing(paced) == (1, settings.KAFKA_CONSUMER_IDLE_WAIT_MS)  # a new consumer starts idle
        clients.set_fetch_pacing(paced, busy=True)
        assert pacing(paced) == (64 * 1024, settings.KAFKA_CONSUMER_FETCH_WAIT_MS)
        clients.set_fetch_pacing(paced, busy=False)
        assert pacing(paced) == (1, settings.KAFKA_CONSUMER_IDLE_WAIT_MS)
        clients.set_fetch_pacing(fixed, busy=True)
        assert pacing(fixed) == (64 * 1024, 7)
    finally:
        paced.close(autocommit=False)
        fixed.close(autocommit=False)


class _BlindAtFirstAssignor(RangePartitionAssignor):
    """Kafka's range assignment, except that for its first seconds it assigns as if the cluster
    metadata had no partitions: what kafka-python did when its metadata lagged the topics'
    creation. Once the group settles on that empty assignment nothing changes for kafka-python to
    notice (seen in a full run: a consumer held nothing for its whole test). Same protocol name,
    so the broker sees an ordinary range group."""

    blind_until = 0.0
    blind_assignments = 0

    @classmethod
    def assign(cls, cluster, members):
        if time.monotonic() < cls.blind_until:
            cls.blind_assignments += 1
            return super().assign(ClusterMetadata(), members)  # knows no topic: assigns nothing
        return super().assign(cluster, members)


def test_a_member_left_with_no_partition_joins_again_and_consumes(prefix, producer):
    tally = TallyScript()
    topic = topic_for("lab")
    clients.ensure_topics([topic])
    _BlindAtFirstAssignor.blind_until, _BlindAtFirstAssignor.blind_assignments = time.monotonic() + 3.0, 0

    # It is given nothing at first, notices after UNASSIGNED_REJOIN_AFTER, joins again, and is
    # given the topic's partitions.
    with ConsumerThread(kafka_config={"partition_assignment_strategy": [_BlindAtFirstAssignor]}) as consumer:
        producer.send(topic, tally.opened())
        consumer.wait_messages(1)

    assert _BlindAtFirstAssignor.blind_assignments >= 1
    assert {tp.topic for tp in consumer.stats.assigned} == {topic} and len(consumer.stats.assigned) == clients.PARTITIONS
    assert count_rows() == {"TallyOpened": 1}
