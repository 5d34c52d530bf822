"""Where personal data is sealed into events and opened out of them.

A context whose events carry personal data registers a `Sealer` for those event types (in its
AppConfig.ready). The event store then stores and publishes the sealed form, and every reader
asks for the opened form:

    register_sealer("customers", CustomerSealer())          # contexts/customers/apps.py
    data = sealed_data("customers", event, db)              # EventStore.append
    data = opened_data(envelope)                            # Envelope.to_event, projections

Opening never fails for a missing key: a subject whose key was destroyed opens as erased (the
sealer decides what that looks like), so a replay after forgetting and live consumption agree.
The archive (audit) and the relay never open anything: they copy the sealed form.
"""

from __future__ import annotations

from typing import Protocol

from kernel.events import DomainEvent
from kernel.serialization import event_to_data


class Sealer(Protocol):
    event_types: frozenset[str]

    def seal(self, event_type: str, data: dict, db: str) -> dict:
        """The data with its personal fields encrypted (may create the subject's key in `db`)."""

    def open(self, event_type: str, data: dict) -> dict:
        """The current schema's data with its personal fields in plaintext, or erased."""


_SEALERS: dict[str, Sealer] = {}


def register_sealer(context: str, sealer: Sealer) -> None:
    _SEALERS[context] = sealer


def _sealer(context: str, event_type: str) -> Sealer | None:
    sealer = _SEALERS.get(context)
    return sealer if sealer is not None and event_type in sealer.event_types else None


def sealed_data(context: str, event: DomainEvent, db: str) -> dict:
    data = event_to_data(event)
    sealer = _sealer(context, event.event_type())
    return sealer.seal(event.event_type(), data, db) if sealer else data


def opened_data(envelope) -> dict:
    """The envelope's data in the current schema version, personal fields opened."""
    upcasted = envelope.upcasted()
    sealer = _sealer(upcasted.source_context, upcasted.event_type)
    return sealer.open(upcasted.event_type, upcasted.data) if sealer else upcasted.data
