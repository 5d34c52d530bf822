"""Embedded mode: the relay hands freshly committed events straight to the consuming contexts, in
this process, through the same inbox (`consumers/inbox.py`) a Kafka consumer uses, so the dedupe,
the ordering and the dead-event handling are the same in both modes. There is no dead-letter
topic here: a dead event is logged and stays in the inbox with status DEAD and its error.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from infrastructure.consumers import registry
from infrastructure.consumers.inbox import DeliveryResult, deliver
from infrastructure.eventstore.envelope import Envelope

logger = logging.getLogger(__name__)


def _log_dead(consumer: str):
    def on_dead(envelope: Envelope, error: str) -> None:
        logger.error("%s: dead event %s.%s %s (stream %s@%s): %s", consumer, envelope.source_context,
                     envelope.event_type, envelope.event_id, envelope.stream_id, envelope.version, error)

    return on_dead


def dispatch_locally(envelopes: Iterable[Envelope]) -> dict[str, DeliveryResult]:
    """Deliver `envelopes` (oldest first) to every context that consumes their source context.

    Returns one `DeliveryResult` per consuming context. Raises only on database trouble (the
    caller, the relay, then leaves its outbox rows pending and tries again later)."""
    by_source: dict[str, list[Envelope]] = defaultdict(list)
    for envelope in envelopes:
        by_source[envelope.source_context].append(envelope)
    per_consumer: dict[str, list[Envelope]] = defaultdict(list)
    for source, batch in by_source.items():
        for consumer in registry.consumers_of(source):
            per_consumer[consumer].extend(batch)
    results = {}
    for consumer, batch in per_consumer.items():
        results[consumer] = deliver(consumer, batch, on_dead=_log_dead(consumer))
        logger.debug("%s: %d events delivered locally (%d applied, %d duplicates, %d dead)", consumer,
                     len(batch), results[consumer].applied, results[consumer].duplicates,
                     len(results[consumer].dead))
    return results
