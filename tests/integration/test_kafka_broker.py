"""The real Kafka broker: a topic is created, a keyed message with headers goes in and comes back."""

import uuid

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import UnknownTopicOrPartitionError

from tests.helpers import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def admin(services_env):
    client = KafkaAdminClient(bootstrap_servers=services_env["KAFKA_BOOTSTRAP_SERVERS"], client_id="pos-tests",
                              request_timeout_ms=10_000)
    yield client
    client.close()


@pytest.fixture
def topic(admin):
    name = f"pos.test.{uuid.uuid4().hex}"
    admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)], timeout_ms=10_000)
    wait_until(lambda: name in admin.list_topics(), timeout=15, message=f"topic {name} to be listed")
    yield name
    try:
        admin.delete_topics([name], timeout_ms=10_000)
    except UnknownTopicOrPartitionError:
        pass


def test_a_keyed_message_with_headers_round_trips(services_env, topic):
    bootstrap = services_env["KAFKA_BOOTSTRAP_SERVERS"]
    key, value = b"stream-42", b'{"sku": "A-1", "price": "2.50"}'
    headers = [("ce_type", b"ProductCreated"), ("ce_id", uuid.uuid4().hex.encode()), ("ce_specversion", b"1.0")]

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", max_block_ms=15_000, request_timeout_ms=10_000)
    try:
        metadata = producer.send(topic, key=key, value=value, headers=headers).get(timeout=15)
    finally:
        producer.close(timeout=5)
    assert (metadata.topic, metadata.partition, metadata.offset) == (topic, 0, 0)

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", request_timeout_ms=10_000, consumer_timeout_ms=1_000)
    received = []
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)

        def got_one():
            for records in consumer.poll(timeout_ms=500).values():
                received.extend(records)
            return received

        wait_until(got_one, timeout=20, interval=0.05, message=f"a message on {topic}")
    finally:
        consumer.close()

    assert len(received) == 1
    record = received[0]
    assert (record.key, record.value, record.offset) == (key, value, 0)
    assert list(record.headers) == headers
