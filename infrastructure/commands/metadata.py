"""Who did what, from where: the metadata recorded with every event.

An entry point (API view, admin action, consumer) builds a `Metadata` and passes it to
`commands.bus.execute`; every event appended by that command carries it.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class Metadata:
    correlation_id: str
    causation_id: str | None = None
    user: str | None = None
    till: str | None = None
    store: str | None = None  # the store of the till, where the entry point knows it (audit by store)
    request_id: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def new(cls, **fields) -> "Metadata":
        fields.setdefault("correlation_id", fields.get("request_id") or uuid.uuid4().hex)
        return cls(**fields)

    @classmethod
    def from_request(cls, request) -> "Metadata":
        user = getattr(request, "user", None)
        token = getattr(request, "auth", None)
        till = None
        if token is not None and hasattr(token, "get"):
            till = token.get("till")
        request_id = getattr(request, "request_id", None)
        correlation = request.headers.get("X-Correlation-ID") or request_id or uuid.uuid4().hex
        return cls(correlation_id=correlation[:128], user=user.get_username() if user and user.is_authenticated else None,
                   till=str(till) if till else None, request_id=request_id)

    def caused_by(self, event_id: str, correlation_id: str | None) -> "Metadata":
        """Metadata for a command issued in reaction to an event (a saga step)."""
        return replace(self, causation_id=str(event_id), correlation_id=correlation_id or self.correlation_id)

    @classmethod
    def from_event(cls, envelope) -> "Metadata":
        meta = envelope.metadata or {}
        return cls(correlation_id=meta.get("correlation_id") or str(envelope.event_id),
                   causation_id=str(envelope.event_id), user=f"policy:{envelope.source_context}",
                   till=meta.get("till"), store=meta.get("store"), request_id=meta.get("request_id"))
