"""Who consumes what. Each consuming context registers its subscribers (projections and
policies) in its AppConfig.ready(); the consumer process, the embedded dispatcher and the
rebuild command all look them up here.

A subscriber declares the events it wants as `{source_context: {EventType, ...}}` and handles
them in batches (a list of `Envelope`, oldest first) inside the consumer's transaction
(`consumers/inbox.py`), which also records them as processed: a redelivered event never reaches
a subscriber twice. `subscriptions` is the upper bound of what a subscriber gets (a rebuild
selects rows by it in SQL); overriding `wants` may narrow it, never widen it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import ClassVar

from infrastructure.eventstore.envelope import Envelope


class Subscriber:
    name: ClassVar[str]
    consumer: ClassVar[str]  # the consuming context
    subscriptions: ClassVar[dict[str, set[str]]]
    replayable: ClassVar[bool] = False  # projections: True; policies (side effects): False

    def wants(self, envelope: Envelope) -> bool:
        return envelope.event_type in self.subscriptions.get(envelope.source_context, ())

    def handle(self, envelopes: list[Envelope]) -> None:
        """Apply a batch. The default calls `on_<EventType>(envelope)` for each event."""
        for envelope in envelopes:
            getattr(self, f"on_{envelope.event_type}")(envelope)


class Policy(Subscriber):
    """Reacts to events by executing commands (a saga step). Runs once per event, live only:
    a rebuild never re-runs a policy.

    Run commands through the bus, with metadata that names the event as their cause:

        def on_OrderPlaced(self, envelope):
            execute(ReserveStock(...), Metadata.from_event(envelope))

    The command's transaction nests in the consumer's (same context database), so the events it
    appends commit together with the inbox row of the event that caused them, or not at all.
    A policy whose command refuses (a DomainError) should record the refusal as an event of its
    own rather than raise: a raised error is retried and then makes the event DEAD."""


_SUBSCRIBERS: dict[str, dict[str, Subscriber]] = defaultdict(dict)


def register(subscriber: Subscriber) -> Subscriber:
    existing = _SUBSCRIBERS[subscriber.consumer].get(subscriber.name)
    if existing is not None and type(existing) is not type(subscriber):
        raise TypeError(f"Two subscribers named {subscriber.name} in {subscriber.consumer}")
    _SUBSCRIBERS[subscriber.consumer][subscriber.name] = subscriber
    return subscriber


def unregister(consumer: str, name: str) -> None:
    _SUBSCRIBERS[consumer].pop(name, None)


def subscribers_of(consumer: str) -> list[Subscriber]:
    return list(_SUBSCRIBERS.get(consumer, {}).values())


def consumers() -> list[str]:
    return sorted(c for c, subs in _SUBSCRIBERS.items() if subs)


def consumers_of(source_context: str) -> list[str]:
    return sorted(c for c, subs in _SUBSCRIBERS.items()
                  if any(source_context in s.subscriptions for s in subs.values()))


def source_contexts(consumer: str) -> set[str]:
    return {ctx for s in subscribers_of(consumer) for ctx in s.subscriptions}
