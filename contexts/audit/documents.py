"""One archived event as one document: what the event holds, plus the fields the audit questions
filter on, lifted out of `data` and `metadata` so each has an index of its own.

    {"_id": "<event id>",                                   # unique: a redelivery is the same document
     "specversion": "1.0", "source": "/pos/sales", "type": "pos.sales.OrderRefunded.v1",
     "subject": "<stream id>", "time": "2026-03-01T14:02:11.123456Z",   # the CloudEvents attributes;
                                                            # `time` also orders and ranges the search
     "context": "sales", "stream_type": "Order", "stream_id": "...", "version": 4,
     "event_type": "OrderRefunded", "schema_version": 1,
     "data": {...}, "metadata": {...},                      # exactly as the event carries them
     "recorded_at": <BSON date>,                            # `time` as a date (to the millisecond)
     "day": "2026-03-01", "hour": "2026-03-01T14",          # `time`'s UTC day and hour: the buckets a
                                                            # time range is asked by (search.py)
     "actor": "alice", "till": "<till id>", "store": "S1", "sku": "COF-1",
     "correlation_id": "...", "causation_id": "...", "request_id": "...",
     "amount_cents": 5500, "archived_at": <BSON date>}

`actor` is the user in the metadata (who asked), else the cashier the event names; `till` the till
in the metadata (the till's token), else the till the event names; `store` the store code the
event names (till, session and order events carry one), else the store of the till in the metadata
(payments, refunds, voids and what they cause in other contexts, such as stock movements); `sku` the
product's SKU (on the catalog's product events).
`day` and `hour` exist because FerretDB 1.24 pushes only equality down to its backend, never a
range: a question with `since`/`until` is asked bucket by bucket, each an equality (search.py).
`amount_cents` is the event's `total` (orders, refunds), else its `amount` (payments, cash
movements), in cents: an integer, so "refunds above 50.00" compares exactly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from infrastructure.eventstore.envelope import Envelope
from infrastructure.kafka.cloudevents import SPECVERSION, ce_type


def iso_time(moment: dt.datetime) -> str:
    """RFC 3339 in UTC, always with microseconds: fixed width, so these strings sort (and compare)
    in time order, to the microsecond. BSON dates keep only milliseconds."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def day_of(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d")


def hour_of(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H")


def cents(value) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int((Decimal(str(value)) * 100).to_integral_value())
    except (InvalidOperation, ValueError):
        return None


def amount_of(data: dict) -> int | None:
    """The event's money amount in cents (see the module docstring), or None."""
    for key in ("total", "amount"):
        if key in data:
            return cents(data[key])
    return None


def public_metadata(metadata: dict | None) -> dict:
    """The event's metadata without the receiving side's bookkeeping (`_kafka`, ...)."""
    return {key: value for key, value in (metadata or {}).items() if not key.startswith("_")}


def document_of(envelope: Envelope, archived_at: dt.datetime) -> dict:
    data, metadata = envelope.data or {}, public_metadata(envelope.metadata)
    recorded_at = envelope.recorded_at.astimezone(dt.timezone.utc)
    return {
        "_id": str(envelope.event_id),
        "specversion": SPECVERSION,
        "source": f"/pos/{envelope.source_context}",
        "type": ce_type(envelope.source_context, envelope.event_type, envelope.schema_version),
        "subject": envelope.stream_id,
        "time": iso_time(recorded_at),
        "context": envelope.source_context,
        "stream_type": envelope.stream_type,
        "stream_id": envelope.stream_id,
        "version": envelope.version,
        "event_type": envelope.event_type,
        "schema_version": envelope.schema_version,
        "data": data,
        "metadata": metadata,
        "recorded_at": recorded_at,
        "day": day_of(recorded_at),
        "hour": hour_of(recorded_at),
        "actor": metadata.get("user") or data.get("cashier"),
        "till": _text(metadata.get("till") or data.get("till_id")),
        "store": data.get("store_code") or metadata.get("store"),
        "sku": data.get("sku"),
        "correlation_id": metadata.get("correlation_id"),
        "causation_id": metadata.get("causation_id"),
        "request_id": metadata.get("request_id"),
        "amount_cents": amount_of(data),
        "archived_at": archived_at,
    }


def _text(value) -> str | None:
    return None if value is None else str(value)
