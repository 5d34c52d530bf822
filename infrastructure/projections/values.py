"""Reading an event's JSON data back into Python values, the same way in every projection.

`Envelope.data` is the event as published: decimals and UUIDs as strings, times as ISO 8601 UTC
(`kernel/serialization.py` writes them so)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

ZERO = Decimal("0.00")


def money(value) -> Decimal:
    """A Decimal amount; None (no such amount) is 0.00."""
    return Decimal(str(value)) if value is not None else ZERO


def utc(value) -> dt.datetime | None:
    """An aware UTC datetime; None stays None."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return value.astimezone(dt.timezone.utc)


def uuid_or_none(value) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
