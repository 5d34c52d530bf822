"""Follow one sale (or any event) across contexts: its causal chain from correlation and
causation ids, with the time each step took.

    result = trace("3f2c...")      # an order id (any stream id), or an event id
    for step in result.steps:      # the events, oldest first
        step.context, step.event_type, step.after_cause_seconds, step.applied

Starting from the stream's events (or the one event), it gathers every event that shares their
correlation ids (everything the same request or saga caused) or names one of them as its cause
(a policy's reaction), and repeats with what it found, a few rounds at most. Each event then lists
the consumers that applied it (their inbox rows: reporting's rows, the audit archive, ...) and how
long after the append they did. It reads every configured database: an operator's tool that looks
across contexts, never a context reading another's tables. `manage.py trace <id>` prints it.

The correlation lookup reads the events' metadata without an index: fine for an operator's
question, not for a hot path.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connections

from infrastructure.consumers.models import InboxEvent
from infrastructure.eventstore.models import StoredEvent

MAX_ROUNDS = 6
MAX_EVENTS = 500


@dataclass
class Applied:
    consumer: str
    status: str
    received_at: datetime
    after_append_seconds: float


@dataclass
class Step:
    event_id: str
    context: str
    event_type: str
    stream_type: str
    stream_id: str
    version: int
    recorded_at: datetime
    metadata: dict
    after_start_seconds: float = 0.0
    cause: Step | None = None
    after_cause_seconds: float | None = None  # since the event that caused it (a policy's reaction)
    applied: list[Applied] = field(default_factory=list)

    @property
    def correlation_id(self) -> str:
        return self.metadata.get("correlation_id", "")

    @property
    def causation_id(self) -> str:
        return self.metadata.get("causation_id", "")


@dataclass
class Trace:
    asked: str
    steps: list[Step]

    @property
    def contexts(self) -> list[str]:
        seen = {step.context for step in self.steps}
        seen |= {applied.consumer for step in self.steps for applied in step.applied}
        return sorted(seen)

    @property
    def seconds(self) -> float:
        ends = [a.received_at for s in self.steps for a in s.applied] + [s.recorded_at for s in self.steps]
        return (max(ends) - self.steps[0].recorded_at).total_seconds() if self.steps else 0.0


def _aliases() -> list[str]:
    """Each configured database once (two aliases may name the same database)."""
    seen, aliases = set(), []
    for alias in connections:
        settings_dict = connections[alias].settings_dict
        key = (settings_dict.get("ENGINE"), settings_dict.get("HOST"), settings_dict.get("PORT"),
               str(settings_dict.get("NAME")))
        if key not in seen:
            seen.add(key)
            aliases.append(alias)
    return aliases


def _events(**lookup) -> dict[str, StoredEvent]:
    found = {}
    for alias in _aliases():
        for event in StoredEvent.objects.using(alias).filter(**lookup).order_by("position")[:MAX_EVENTS]:
            found[str(event.event_id)] = event
    return found


def _as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def trace(identifier: str) -> Trace:
    identifier = identifier.strip()
    events = _events(stream_id=identifier)
    if event_uuid := _as_uuid(identifier):
        events.update(_events(event_id=event_uuid))
    for _ in range(MAX_ROUNDS):
        if len(events) >= MAX_EVENTS:
            break
        correlations = sorted({e.metadata.get("correlation_id") for e in events.values()} - {None})
        found = _events(metadata__correlation_id__in=correlations) if correlations else {}
        found.update(_events(metadata__causation_id__in=sorted(events)))
        new = {k: v for k, v in found.items() if k not in events}
        if not new:
            break
        events.update(new)
    return Trace(identifier, _steps(events))


def _steps(events: dict[str, StoredEvent]) -> list[Step]:
    ordered = sorted(events.values(), key=lambda e: (e.recorded_at, e.position))
    steps = {str(e.event_id): Step(str(e.event_id), e.context, e.event_type, e.stream_type, e.stream_id, e.version,
                                   e.recorded_at, e.metadata or {}) for e in ordered}
    if not steps:
        return []
    start = ordered[0].recorded_at
    for step in steps.values():
        step.after_start_seconds = (step.recorded_at - start).total_seconds()
        step.cause = steps.get(step.causation_id)
        if step.cause is not None:
            step.after_cause_seconds = (step.recorded_at - step.cause.recorded_at).total_seconds()
    ids = [uuid.UUID(event_id) for event_id in steps]
    for alias in _aliases():
        for row in InboxEvent.objects.using(alias).filter(event_id__in=ids).order_by("received_at"):
            step = steps[str(row.event_id)]
            step.applied.append(Applied(row.consumer, row.status, row.received_at,
                                        (row.received_at - step.recorded_at).total_seconds()))
    return list(steps.values())


def format_trace(result: Trace) -> list[str]:
    """The trace as text lines (manage.py trace)."""
    if not result.steps:
        return [f"No event has the stream or event id {result.asked}."]
    lines = [f"Trace of {result.asked}: {len(result.steps)} events in {', '.join(result.contexts)} "
             f"over {result.seconds:.3f}s (times since the first event)"]
    for step in result.steps:
        cause = (f"  <- {step.cause.context}.{step.cause.event_type} +{step.after_cause_seconds:.3f}s"
                 if step.cause else "")
        who = " ".join(f"{key}={step.metadata[key]}" for key in ("user", "till") if step.metadata.get(key))
        lines.append(f"+{step.after_start_seconds:8.3f}s  {step.context}.{step.event_type}  "
                     f"{step.stream_type} {step.stream_id}@{step.version}  {who}  "
                     f"correlation={step.correlation_id}  event={step.event_id}{cause}")
        for applied in step.applied:
            lines.append(f"{'':12}-> {applied.consumer} {applied.status} +{applied.after_append_seconds:.3f}s "
                         "after the append")
    return lines
