"""Topic names: one per publishing context, plus the dead-letter topic."""

from django.conf import settings

PARTITIONS = 6  # several, so a second consumer process of a context can take some over


def topic_for(context: str) -> str:
    return f"{settings.KAFKA_TOPIC_PREFIX}.{context}.events"


def context_of_topic(topic: str) -> str:
    prefix = f"{settings.KAFKA_TOPIC_PREFIX}."
    if not (topic.startswith(prefix) and topic.endswith(".events")):
        raise ValueError(f"{topic} is not an events topic")
    return topic[len(prefix):-len(".events")]


def dead_letter_topic() -> str:
    return f"{settings.KAFKA_TOPIC_PREFIX}.dlq"
