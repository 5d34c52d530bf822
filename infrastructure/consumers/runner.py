"""The long-running Kafka consumer of one consuming context (`manage.py consume_events`).

One consumer group per consuming context, `<KAFKA_TOPIC_PREFIX>.<context>`, subscribed to the
events topic of every context it consumes from. The loop:

    poll (up to 500 records, 500 ms)
    decode each message (CloudEvents binary mode), each partition's oldest first; a message that
        is not an event goes to the dead-letter topic at once, with the parse error, and is
        recorded nowhere else
    deliver the poll's events (consumers/inbox.py: one transaction records and applies them;
        an event that keeps failing is recorded DEAD and sent to the dead-letter topic)
    commit the offsets of the poll (after the database commit)

So an offset is committed only for events whose effects are committed: a crash between the two
means a redelivery, which the inbox turns into a no-op. If the database is in trouble (`deliver`
raises), every partition of the poll is rewound to its first record and tried again after a
pause; nothing is committed meanwhile. Dead letters are sent (and acknowledged) before
the offset commit, so they are at least once too: a rewound batch may dead-letter a
non-event message a second time.

Stopping: set the `stop_event` (the management command does on SIGTERM/SIGINT). The current
batch is finished and committed, then the consumer leaves the group and closes.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connections
from kafka.structs import OffsetAndMetadata

from infrastructure.backoff import Backoff
from infrastructure.consumers import registry
from infrastructure.consumers.dead_letters import send_to_dead_letters
from infrastructure.consumers.inbox import deliver, error_text
from infrastructure.kafka import clients
from infrastructure.kafka.cloudevents import from_message
from infrastructure.kafka.topics import dead_letter_topic, topic_for
from infrastructure.observability import log_context

logger = logging.getLogger(__name__)

POLL_TIMEOUT_MS = 500
MAX_RECORDS = 500
SUMMARY_EVERY = 60.0  # seconds between INFO summaries while running
UNASSIGNED_IDLE_FLOOR = 30.0  # idle-exit grace while no partition has been assigned yet
# A group member that holds no partition this long, while its topics have partitions, joins again
# (then after twice as long, up to the cap). kafka-python can settle on an empty assignment made
# before its metadata had the topics' partitions and never look again: seen in a full run, right
# after the broker was SIGKILLed and restarted, a consumer assigned nothing for its whole test.
UNASSIGNED_REJOIN_AFTER = 10.0
UNASSIGNED_REJOIN_CAP = 300.0


@dataclass
class RunStats:
    """Counters of one `run`, updated as it goes (a test may read them from another thread)."""

    consumer: str
    group_id: str = ""
    topics: tuple[str, ...] = ()
    messages: int = 0  # records consumed and committed (events, duplicates, dead letters)
    applied: int = 0
    duplicates: int = 0
    dead: int = 0  # events that kept failing: recorded DEAD and dead-lettered
    not_events: int = 0  # messages that were not events: dead-lettered
    batches: int = 0
    retried_batches: int = 0  # polls rewound because of database trouble
    commit_failures: int = 0
    reconnects: int = 0  # times the Kafka client was dropped and made again after losing the broker
    assigned: frozenset = frozenset()
    started: float = field(default_factory=time.monotonic)
    stopped: float | None = None

    def summary(self) -> str:
        seconds = (self.stopped or time.monotonic()) - self.started
        return (f"{self.consumer}: {self.messages} messages in {seconds:.1f}s ({self.applied} applied, "
                f"{self.duplicates} duplicates, {self.dead} dead, {self.not_events} not events; "
                f"{self.batches} batches, {self.retried_batches} retried, {self.commit_failures} commit failures, "
                f"{self.reconnects} reconnects)")


def group_id_for(consumer: str) -> str:
    return f"{settings.KAFKA_TOPIC_PREFIX}.{consumer}"


def topics_for(consumer: str) -> list[str]:
    return sorted(topic_for(context) for context in registry.source_contexts(consumer))


def run(consumer: str, stop_event: threading.Event | None = None, *, max_messages: int | None = None,
        idle_exit: float | None = None, stats: RunStats | None = None, max_attempts: int = 3,
        poll_timeout_ms: int = POLL_TIMEOUT_MS, max_records: int = MAX_RECORDS, retry_backoff: float = 1.0,
        kafka_config: dict | None = None) -> RunStats:
    """Consume `consumer`'s source topics until `stop_event` is set, `max_messages` records have
    been handled, or nothing arrived for `idle_exit` seconds (counted from the partition
    assignment or the last message). Returns the counters (`stats`, if given, is updated live)."""
    if not registry.subscribers_of(consumer):
        raise ValueError(f"No subscribers are registered for consumer {consumer!r}; "
                         f"known: {', '.join(registry.consumers()) or 'none'}")
    with log_context.bound(context=consumer):
        return _run(consumer, stop_event, max_messages, idle_exit, stats, max_attempts, poll_timeout_ms, max_records,
                    retry_backoff, kafka_config)


def _run(consumer, stop_event, max_messages, idle_exit, stats, max_attempts, poll_timeout_ms, max_records,
         retry_backoff, kafka_config) -> RunStats:
    stop_event = stop_event or threading.Event()
    stats = stats or RunStats(consumer)
    stats.group_id, stats.topics = group_id_for(consumer), tuple(topics_for(consumer))
    kafka_config = kafka_config or {}
    backoff = Backoff()
    kafka_consumer = _connect(consumer, stats, stop_event, kafka_config, backoff)
    if kafka_consumer is None:
        return stats  # stopped before Kafka could be reached
    logger.info("%s: consuming %s as group %s", consumer, ", ".join(stats.topics), stats.group_id)
    idle_since = time.monotonic()
    assigned_once = False
    rejoin = _Rejoin(consumer, stats.topics)
    next_summary = time.monotonic() + SUMMARY_EVERY
    try:
        while not stop_event.is_set():
            if max_messages is not None and stats.messages >= max_messages:
                logger.info("%s: handled %d messages (--max-messages); stopping", consumer, stats.messages)
                break
            _tidy_connections()
            limit = max_records if max_messages is None else max(1, min(max_records, max_messages - stats.messages))
            try:
                records = kafka_consumer.poll(timeout_ms=poll_timeout_ms, max_records=limit)
                clients.set_fetch_pacing(kafka_consumer, busy=bool(records))
                stats.assigned = frozenset(kafka_consumer.assignment())
                now = time.monotonic()
                if stats.assigned and not assigned_once:
                    assigned_once, idle_since = True, now
                rejoin.check(kafka_consumer, assigned=bool(stats.assigned), now=now)
                if records:
                    idle_since = now
                    _handle_poll(kafka_consumer, consumer, records, stats, max_attempts, stop_event, retry_backoff)
                backoff.reset()
            except Exception as exc:  # noqa: BLE001 - see below
                # The broker went away under the client: kafka-python raises out of poll (its
                # coordinator and fetcher, e.g. KafkaConnectionError ECONNREFUSED), seek or close,
                # and not always as a KafkaError. Whatever this poll applied was not committed to
                # Kafka: drop the client, wait for the broker, rejoin the group and go on from the
                # committed offsets (the inbox drops what comes again). Never let it end the process.
                stats.reconnects += 1
                logger.warning("%s: lost Kafka (%s: %s); reconnecting", consumer, type(exc).__name__, exc)
                _close_quietly(kafka_consumer, consumer)
                stop_event.wait(backoff.next_delay())
                kafka_consumer = _connect(consumer, stats, stop_event, kafka_config, backoff)
                if kafka_consumer is None:
                    break
                rejoin = _Rejoin(consumer, stats.topics)
                continue
            if not records and idle_exit is not None:
                limit_s = idle_exit if assigned_once else max(idle_exit, UNASSIGNED_IDLE_FLOOR)
                if now - idle_since >= limit_s:
                    logger.info("%s: nothing to consume for %.1fs (--idle-exit); stopping", consumer, now - idle_since)
                    break
            if now >= next_summary:
                logger.info("%s", stats.summary())
                next_summary = now + SUMMARY_EVERY
    finally:
        _close_quietly(kafka_consumer, consumer)
        stats.stopped = time.monotonic()
        _close_connections()
        logger.info("%s", stats.summary())
    return stats


class _Rejoin:
    """Joins the group again when this member has held no partition for a while although its
    topics have partitions (see UNASSIGNED_REJOIN_AFTER). A member that is idle because the group
    has more members than partitions rejoins too, ever less often (at most every 5 minutes once it
    has stayed idle): each costs the group a short rebalance, which the inbox makes harmless."""

    def __init__(self, consumer: str, topics: tuple[str, ...]):
        self.consumer, self.topics = consumer, topics
        self.wait = UNASSIGNED_REJOIN_AFTER
        self.since = time.monotonic()
        self.rejoins = 0

    def check(self, kafka_consumer, *, assigned: bool, now: float) -> None:
        if assigned:
            self.since, self.wait = now, UNASSIGNED_REJOIN_AFTER
            return
        held = now - self.since
        if held < self.wait:
            return
        self.since, self.wait = now, min(self.wait * 2, UNASSIGNED_REJOIN_CAP)
        if not all(kafka_consumer.partitions_for_topic(topic) for topic in self.topics):
            return  # nothing to assign yet: the next look comes later
        self.rejoins += 1
        logger.warning("%s: no partition assigned for %.0fs although the topics have partitions; joining the "
                       "group again", self.consumer, held)
        kafka_consumer.unsubscribe()
        kafka_consumer.subscribe(list(self.topics))


def _close_quietly(kafka_consumer, consumer: str) -> None:
    """Close without committing; a client whose broker is gone may fail to leave the group, which
    only means the broker notices by the session timeout."""
    if kafka_consumer is None:
        return
    try:
        kafka_consumer.close(autocommit=False)
    except Exception as exc:  # noqa: BLE001 - closing must never be what kills the process
        logger.warning("%s: closing the Kafka consumer failed (%s: %s)", consumer, type(exc).__name__, exc)


def _connect(consumer: str, stats: RunStats, stop_event: threading.Event, kafka_config: dict, backoff: Backoff):
    """Create the topics and the group consumer, retrying with back-off while Kafka cannot be
    reached (a consumer started before the broker, or during an outage, waits instead of dying)."""
    while not stop_event.is_set():
        try:
            clients.ensure_topics([*stats.topics, dead_letter_topic()])
            return clients.consumer(stats.group_id, list(stats.topics), **kafka_config)
        except Exception as exc:  # noqa: BLE001 - NoBrokersAvailable, timeouts, connection errors
            delay = backoff.next_delay()
            logger.warning("%s: Kafka not reachable (%s: %s); retrying in %.0fs", consumer, type(exc).__name__, exc,
                           delay)
            stop_event.wait(delay)
    return None


def _handle_poll(kafka_consumer, consumer: str, records: dict, stats: RunStats, max_attempts: int,
                 stop_event: threading.Event, retry_backoff: float) -> None:
    """Deliver every record of one poll in ONE database transaction, then commit the offsets.

    A poll at a till's pace holds a record or two per partition; a transaction (and its lock,
    inbox insert and commit) per partition cost more than the events themselves. Each partition's
    records stay in offset order, and a stream lives in one partition, so per-stream order holds.
    If the database is in trouble, every partition of the poll is rewound and retried."""
    records = {tp: batch for tp, batch in records.items() if batch}
    if not records:
        return
    started = time.monotonic()
    messages = sum(len(batch) for batch in records.values())
    try:
        applied, duplicates, dead, not_events = _handle_records(
            consumer, [record for batch in records.values() for record in batch], max_attempts)
    except Exception:  # noqa: BLE001 - the database (or the dead-letter topic) is in trouble
        logger.exception("%s: a poll of %d messages (%s) failed; rewinding to retry them", consumer, messages,
                         _describe(records))
        for tp, batch in records.items():
            kafka_consumer.seek(tp, batch[0].offset)
        stats.retried_batches += 1
        stop_event.wait(retry_backoff)
        return
    stats.batches += 1
    stats.applied += applied
    stats.duplicates += duplicates
    stats.dead += dead
    stats.not_events += not_events
    logger.debug("%s: %d messages (%s): %d applied, %d duplicates, %d dead, %d not events in %.0f ms", consumer,
                 messages, _describe(records), applied, duplicates, dead, not_events,
                 (time.monotonic() - started) * 1000)
    try:
        kafka_consumer.commit({tp: OffsetAndMetadata(batch[-1].offset + 1, "", -1) for tp, batch in records.items()})
    except Exception as exc:  # noqa: BLE001 - CommitFailedError, KafkaError, or a broken connection
        # Typically a rebalance took the partitions away: their new owner re-reads from the last
        # committed offset, and the inbox makes those redeliveries no-ops.
        stats.commit_failures += 1
        logger.warning("%s: committing offsets failed (%s); the events will be redelivered and deduplicated",
                       consumer, exc)
    stats.messages += messages


def _describe(records: dict) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}] {batch[0].offset}-{batch[-1].offset}" for tp, batch in records.items())


def _handle_records(consumer: str, batch: list, max_attempts: int) -> tuple[int, int, int, int]:
    envelopes, message_of, positions = [], {}, {}
    not_events = 0
    for record in batch:
        try:
            envelope = from_message(record.headers, record.value)
        except Exception as exc:  # noqa: BLE001 - NotAnEvent, or anything else a malformed message provokes
            send_to_dead_letters(record, error=error_text(exc), consumer=consumer)
            not_events += 1
            continue
        envelopes.append(envelope)
        message_of.setdefault(envelope.event_id, record)
        positions.setdefault(envelope.event_id, (record.topic, record.partition, record.offset))

    def on_dead(envelope, error):
        send_to_dead_letters(message_of[envelope.event_id], error=error, consumer=consumer)

    result = deliver(consumer, envelopes, max_attempts=max_attempts, on_dead=on_dead, kafka_positions=positions)
    return result.applied, result.duplicates, len(result.dead), not_events


def _tidy_connections() -> None:
    """What Django does between requests: drop connections that broke or outlived CONN_MAX_AGE.
    Never inside a transaction (a caller's test transaction, say)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            try:
                connection.close_if_unusable_or_obsolete()
            except DatabaseError as exc:  # a broken connection; the next use reconnects or fails (and is retried)
                logger.warning("closing a database connection failed (%s); it will be replaced", exc)


def _close_connections() -> None:
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            try:
                connection.close()
            except DatabaseError:  # already broken: nothing left to release
                logger.debug("closing a database connection failed", exc_info=True)


def install_signal_handlers(stop_event: threading.Event) -> None:
    """SIGTERM and SIGINT set `stop_event`: the loop finishes its batch, commits and exits."""

    def handler(signum, frame):
        logger.info("received %s; finishing the current batch, then stopping", signal.Signals(signum).name)
        stop_event.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
