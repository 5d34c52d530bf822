"""kafka-python clients, configured once. The producer favours order and durability over speed:
acks from all in-sync replicas, one request in flight per connection (so a retried batch cannot
overtake the next one) and retries."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from infrastructure.kafka.topics import PARTITIONS

logger = logging.getLogger(__name__)

_producer: KafkaProducer | None = None
_producer_lock = threading.Lock()
_known_topics: set[str] = set()


def producer() -> KafkaProducer:
    global _producer
    with _producer_lock:
        if _producer is None:
            _producer = KafkaProducer(
                bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
                client_id="pos-relay",
                acks="all",
                retries=5,
                max_in_flight_requests_per_connection=1,
                linger_ms=2,
                request_timeout_ms=10_000,
                # Bounded waits, so a relay pass against a broker that is down fails within
                # seconds (and the outbox keeps the events) instead of hanging for minutes.
                delivery_timeout_ms=30_000,
                max_block_ms=10_000,
                bootstrap_timeout_ms=10_000,  # kafka-python 3.x name (2.x: api_version_auto_timeout_ms)
            )
        return _producer


def reset_producer() -> None:
    """Drop the cached producer (after a fatal error, or in a forked worker)."""
    global _producer
    with _producer_lock:
        if _producer is not None:
            try:
                _producer.close(timeout=2)
            except Exception as exc:  # closing a broken producer must not mask the original error
                logger.warning("closing the Kafka producer failed: %s: %s", type(exc).__name__, exc)
                # kafka-python's close() gives up when its final flush times out (broker down)
                # without stopping its I/O thread; stop it, or it lingers and may deliver stale
                # records long after this producer was dropped.
                sender = getattr(_producer, "_sender", None)
                if sender is not None and sender.is_alive():
                    sender.force_close()
                    sender.join(2)
        _producer = None


def admin() -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS, client_id="pos-admin",
                            request_timeout_ms=10_000, bootstrap_timeout_ms=10_000)


def ensure_topics(names) -> None:
    """Create the topics that do not exist yet (with our partition count). Idempotent."""
    missing = [n for n in names if n not in _known_topics]
    if not missing:
        return
    client = admin()
    try:
        existing = set(client.list_topics())
        to_create = [NewTopic(name=n, num_partitions=PARTITIONS, replication_factor=1)
                     for n in missing if n not in existing]
        if to_create:
            try:
                client.create_topics(to_create)
            except TopicAlreadyExistsError:
                pass  # another process created it between our list and create
        _known_topics.update(missing)
    finally:
        client.close()


def consumer(group_id: str, topics: list[str], **overrides) -> KafkaConsumer:
    config = dict(
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        group_id=group_id,
        client_id=f"{group_id}-consumer",
        enable_auto_commit=False,  # offsets are committed after the database commit
        auto_offset_reset="earliest",
        max_poll_records=500,
        session_timeout_ms=10_000,
        heartbeat_interval_ms=3_000,
        max_poll_interval_ms=300_000,
        bootstrap_timeout_ms=10_000,
        # The broker holds a fetch until 64 KiB are there or this many ms have passed: at a till's
        # pace a consumer then takes a few sales per transaction instead of one event (less CPU
        # for the whole machine), for at most this much added delay to the read models.
        fetch_min_bytes=64 * 1024,
        fetch_max_wait_ms=settings.KAFKA_CONSUMER_FETCH_WAIT_MS,
    )
    config.update(overrides)
    kafka_consumer = KafkaConsumer(**config)
    kafka_consumer.subscribe(topics)
    return kafka_consumer
