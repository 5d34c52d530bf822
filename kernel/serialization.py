"""Events <-> plain JSON, driven by the dataclass type hints.

Money and other decimals travel as strings ("12.50") so no float ever touches them; UUIDs as
strings; datetimes as ISO 8601 in UTC; nested dataclasses as objects; tuples/lists as arrays.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import types
import typing
import uuid
from decimal import Decimal
from functools import cache

from kernel.events import DomainEvent


def to_json(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in an event; times must be timezone-aware UTC")
        return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


@cache
def hints(cls) -> dict:
    return typing.get_type_hints(cls)


def from_json(tp, value):
    """Build a value of type `tp` from its JSON form (the inverse of `to_json`)."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return from_json(args[0], value)
    if origin in (list, tuple):
        args = typing.get_args(tp)
        item = args[0] if args else typing.Any
        items = [from_json(item, v) for v in value]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        _, vt = typing.get_args(tp) or (str, typing.Any)
        return {k: from_json(vt, v) for k, v in value.items()}
    if tp is typing.Any:
        return value
    if dataclasses.is_dataclass(tp):
        known = hints(tp)
        return tp(**{f.name: from_json(known[f.name], value[f.name])
                     for f in dataclasses.fields(tp) if f.init and f.name in value})
    if tp is Decimal:
        return Decimal(value)
    if tp is uuid.UUID:
        return uuid.UUID(value)
    if tp is dt.datetime:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if tp is dt.date:
        return dt.date.fromisoformat(value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    return value


def event_to_data(event: DomainEvent) -> dict:
    return to_json(event)


def event_from_data(cls: type[DomainEvent], data: dict) -> DomainEvent:
    return from_json(cls, data)
