"""CloudEvents 1.0 Kafka protocol binding, binary content mode.

The message value is the event's data as JSON; the attributes travel as `ce_*` headers:
`ce_specversion`, `ce_id` (event id), `ce_source` (`/pos/<context>`), `ce_type`
(`pos.<context>.<EventType>.v<schema>`), `ce_time`, `ce_subject` (stream id), plus our
extensions (lower-case alphanumeric names, as the spec requires): `ce_streamtype`,
`ce_streamversion`, `ce_schemaversion`, `ce_correlationid`, `ce_causationid`, `ce_user`,
`ce_till`, `ce_requestid`. `content-type` is `application/json`. The key is the stream id, so
one stream's events share a partition and keep their order.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

from infrastructure.eventstore.envelope import Envelope

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
_META_EXTENSIONS = {"correlation_id": "ce_correlationid", "causation_id": "ce_causationid",
                    "user": "ce_user", "till": "ce_till", "store": "ce_store", "request_id": "ce_requestid"}


def ce_type(context: str, event_type: str, schema_version: int) -> str:
    return f"pos.{context}.{event_type}.v{schema_version}"


def to_message(envelope: Envelope) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """(key, value, headers) for an envelope."""
    headers = {
        "ce_specversion": SPECVERSION,
        "ce_id": str(envelope.event_id),
        "ce_source": f"/pos/{envelope.source_context}",
        "ce_type": ce_type(envelope.source_context, envelope.event_type, envelope.schema_version),
        "ce_time": envelope.recorded_at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z"),
        "ce_subject": envelope.stream_id,
        "ce_streamtype": envelope.stream_type,
        "ce_streamversion": str(envelope.version),
        "ce_schemaversion": str(envelope.schema_version),
        "content-type": CONTENT_TYPE,
    }
    for key, header in _META_EXTENSIONS.items():
        value = envelope.metadata.get(key)
        if value is not None:
            headers[header] = str(value)
    value = json.dumps(envelope.data, separators=(",", ":"), ensure_ascii=False).encode()
    return envelope.stream_id.encode(), value, [(k, v.encode()) for k, v in headers.items()]


class NotAnEvent(ValueError):
    """The message is not a CloudEvent of ours (missing or malformed attributes)."""


def from_message(headers, value: bytes) -> Envelope:
    h = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in (headers or [])}
    try:
        if h["ce_specversion"] != SPECVERSION:
            raise NotAnEvent(f"unsupported CloudEvents specversion {h['ce_specversion']}")
        _, context, event_type, version_tag = h["ce_type"].split(".", 3)
        data = json.loads(value)
        if not isinstance(data, dict):
            raise NotAnEvent("event data must be a JSON object")
        return Envelope(
            event_id=uuid.UUID(h["ce_id"]),
            source_context=context,
            stream_type=h["ce_streamtype"],
            stream_id=h["ce_subject"],
            version=int(h["ce_streamversion"]),
            event_type=event_type,
            schema_version=int(h.get("ce_schemaversion") or version_tag.lstrip("v")),
            data=data,
            metadata={key: h[header] for key, header in _META_EXTENSIONS.items() if header in h},
            recorded_at=dt.datetime.fromisoformat(h["ce_time"].replace("Z", "+00:00")),
        )
    except NotAnEvent:
        raise
    except (KeyError, ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise NotAnEvent(f"not a POS CloudEvent: {type(exc).__name__}: {exc}") from exc
