"""Event contracts: the base class for domain events, their registry, JSON (de)serialisation,
JSON Schemas and upcasters."""

from infrastructure.events.base import DomainEvent, event_class, registered_events

__all__ = ["DomainEvent", "event_class", "registered_events"]
