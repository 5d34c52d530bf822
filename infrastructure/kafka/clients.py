"""kafka-python clients, configured once. The producer favours order and durability over speed:
acks from all in-sync replicas, one request in flight per connection (so a retried batch cannot
overtake the next one) and retries."""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from infrastructure.kafka.topics import PARTITIONS

logger = logging.getLogger(__name__)

# kafka-python backs off reconnecting to a broker up to 30 s by default: after an outage a client
# would sit out that long before noticing the broker is back (a relay pass, then, times out).
# One second keeps the retries cheap and the recovery prompt.
RECONNECT_BACKOFF_MAX_MS = 1000
# Under the broker's default message.max.bytes (1,048,588), with room for a request's framing.
PRODUCER_BATCH_BYTES = 900 * 1024

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
                # A broker that just restarted answers NotLeaderForPartition until its partitions
                # have leaders again: retry long enough to ride that out (5 x 500 ms).
                retries=5,
                retry_backoff_ms=500,
                max_in_flight_requests_per_connection=1,
                linger_ms=2,
                # One batch per partition per relay pass (a pass is at most the relay's
                # DEFAULT_BATCH_SIZE events): a partition's records of a pass then land or fail
                # together. With the default 16 KiB, a pass's records for one partition were split
                # into two batches, the first could fail (retries used up) while the second
                # landed, and a stream's OrderCompleted reached Kafka without its OrderPlaced
                # (seen in the Kafka fault test after a broker restart).
                batch_size=PRODUCER_BATCH_BYTES,
                max_request_size=PRODUCER_BATCH_BYTES + 64 * 1024,
                request_timeout_ms=10_000,
                # Bounded waits, so a relay pass against a broker that is down fails within
                # seconds (and the outbox keeps the events) instead of hanging for minutes.
                delivery_timeout_ms=30_000,
                max_block_ms=10_000,
                bootstrap_timeout_ms=10_000,  # kafka-python 3.x name (2.x: api_version_auto_timeout_ms)
                reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
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
                            request_timeout_ms=10_000, bootstrap_timeout_ms=10_000,
                            reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS)


def ensure_topics(names, *, timeout: float = 15.0) -> None:
    """Create the topics that do not exist yet (with our partition count), and return once the
    broker describes their partitions. Idempotent. A consumer that subscribed to a topic just
    created, before the broker's metadata had its partitions, was assigned nothing and did not look
    again for minutes (kafka-python refreshes metadata every metadata_max_age_ms): a CI run lost a
    whole consumer's share of a test that way."""
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
        deadline = time.monotonic() + timeout
        while True:
            described = {t["name"]: t for t in client.describe_topics(missing)}
            if all(described.get(n, {}).get("error_code", 1) == 0 and described[n].get("partitions")
                   for n in missing):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"the broker does not describe the partitions of {sorted(missing)} yet")
            time.sleep(0.1)  # the controller's metadata reaches the broker within milliseconds
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
        reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
        # A subscribed topic whose partitions the broker did not describe yet is looked up again
        # within 10 s, not the default 5 minutes (ensure_topics waits for them; this is the net).
        metadata_max_age_ms=10_000,
        # Starts idle; see set_fetch_pacing.
        fetch_min_bytes=1,
        fetch_max_wait_ms=settings.KAFKA_CONSUMER_IDLE_WAIT_MS,
    )
    config.update(overrides)
    kafka_consumer = KafkaConsumer(**config)
    kafka_consumer.pos_fetch_overrides = {k for k in ("fetch_min_bytes", "fetch_max_wait_ms") if k in overrides}
    kafka_consumer.subscribe(topics)
    return kafka_consumer


BUSY_MIN_BYTES = 64 * 1024


def set_fetch_pacing(kafka_consumer: KafkaConsumer, *, busy: bool) -> None:
    """How the broker holds this consumer's fetches, by whether the last poll brought records.

    Busy: until 64 KiB are there or KAFKA_CONSUMER_FETCH_WAIT_MS (250) have passed, so a poll at a
    till's pace takes a few sales per transaction instead of one event (less CPU for the whole
    machine: 250 rather than 50 ms halved the pipeline's CPU per till sale, docs/benchmarks.md)
    for at most that much added delay. Idle: back at the first byte, or after
    KAFKA_CONSUMER_IDLE_WAIT_MS (5000): the first event after a quiet spell is not delayed at all,
    and a consumer with nothing to do asks every few seconds instead of twenty times a second.

    kafka-python reads both values from its fetcher's config for every fetch request and has no
    public setter; the attribute is checked by tests/integration/test_consumer_kafka.py, so an
    upgrade that moves it fails there. Values given explicitly to `consumer(...)` are kept."""
    fetcher_config = kafka_consumer._fetcher.config
    wanted = {"fetch_min_bytes": BUSY_MIN_BYTES if busy else 1,
              "fetch_max_wait_ms": settings.KAFKA_CONSUMER_FETCH_WAIT_MS if busy else settings.KAFKA_CONSUMER_IDLE_WAIT_MS}
    for key, value in wanted.items():
        if key not in getattr(kafka_consumer, "pos_fetch_overrides", ()):
            fetcher_config[key] = value
