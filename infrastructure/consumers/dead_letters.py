"""The dead-letter topic, `<prefix>.dlq`: messages a consumer gave up on, kept for a person to read.

A dead letter is the original message (same key, same value, same headers, so it can be
inspected with the usual tools and re-published as it was) plus headers saying why and from
where:

    pos_error              the error, one line ("ValueError: invalid literal for int() ...")
    pos_consumer           the consuming context that gave up
    pos_original_topic     where the message was read from
    pos_original_partition
    pos_original_offset

The send is synchronous: the caller commits its offsets (or records the event as DEAD) only
once the broker has the dead letter.
"""

from __future__ import annotations

import logging

from infrastructure.kafka import clients
from infrastructure.kafka.topics import dead_letter_topic

logger = logging.getLogger(__name__)

DEAD_LETTER_HEADERS = ("pos_error", "pos_consumer", "pos_original_topic", "pos_original_partition",
                       "pos_original_offset")
MAX_ERROR_BYTES = 16_000


def dead_letter_headers(headers, *, error: str, consumer: str, topic: str, partition: int, offset: int
                        ) -> list[tuple[str, bytes]]:
    """The original headers (minus any dead-letter headers of an earlier trip) plus ours."""
    kept = [(k, v) for k, v in (headers or []) if k not in DEAD_LETTER_HEADERS]
    return kept + [
        ("pos_error", error.encode("utf-8", errors="replace")[:MAX_ERROR_BYTES]),
        ("pos_consumer", consumer.encode()),
        ("pos_original_topic", topic.encode()),
        ("pos_original_partition", str(partition).encode()),
        ("pos_original_offset", str(offset).encode()),
    ]


def send_to_dead_letters(record, *, error: str, consumer: str, timeout: float = 15.0) -> None:
    """Publish a consumed Kafka `record` (a kafka-python ConsumerRecord) to the dead-letter topic
    and wait for the broker's acknowledgement."""
    topic = dead_letter_topic()
    clients.ensure_topics([topic])
    headers = dead_letter_headers(record.headers, error=error, consumer=consumer, topic=record.topic,
                                  partition=record.partition, offset=record.offset)
    metadata = clients.producer().send(topic, key=record.key, value=record.value, headers=headers).get(
        timeout=timeout)
    logger.warning("%s: %s[%d]@%d sent to %s[%d]@%d: %s", consumer, record.topic, record.partition,
                   record.offset, topic, metadata.partition, metadata.offset, error)
