"""Domain events are frozen dataclasses, one class per event type, registered by (context, name).

A concrete event declares the context that publishes it and its schema version:

    @dataclass(frozen=True)
    class ProductCreated(DomainEvent, context="catalog", version=1):
        product_id: UUID
        name: str
        unit_price: Decimal

The class name is the event type; renaming a class is a contract change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

_REGISTRY: dict[tuple[str, str], type["DomainEvent"]] = {}


@dataclass(frozen=True)
class DomainEvent:
    context: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, context: str | None = None, version: int | None = None, **kwargs):
        super().__init_subclass__(**kwargs)
        if context is None:
            return  # an abstract intermediate class
        cls.context = context
        cls.schema_version = version or 1
        key = (context, cls.__name__)
        existing = _REGISTRY.get(key)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise TypeError(f"Two event classes are named {cls.__name__} in context {context}")
        _REGISTRY[key] = cls

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__


def event_class(context: str, event_type: str) -> type[DomainEvent] | None:
    return _REGISTRY.get((context, event_type))


def registered_events(context: str | None = None) -> list[type[DomainEvent]]:
    return sorted((cls for (ctx, _), cls in _REGISTRY.items() if context in (None, ctx)),
                  key=lambda c: (c.context, c.__name__))
