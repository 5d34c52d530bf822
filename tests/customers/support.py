"""Helpers shared by the customers tests: customers made through the context's own commands,
sales envelopes as the sales context will publish them, events and read rows as plain values."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from contexts.customers import commands as c
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.eventstore.envelope import Envelope

API = "/api/v1/customers"
PROBLEM = "application/problem+json"


def meta(user: str = "test-setup") -> Metadata:
    return Metadata.new(user=user)


def unique_email(name: str = "customer") -> str:
    return f"{name}.{uuid.uuid4().hex[:10]}@example.com"


def make_customer(name: str = "Ann Example", *, email: str | None = "auto", phone: str | None = None,
                  address: dict | None = None, removed: bool = False) -> uuid.UUID:
    email = unique_email(name.split()[0].lower()) if email == "auto" else email
    state = execute(c.RegisterCustomer(name=name, email=email, phone=phone, address=address), meta())
    customer_id = uuid.UUID(state["id"])
    if removed:
        execute(c.RemoveCustomer(customer_id=customer_id, reason="test"), meta())
    return customer_id


def events_of(stream_id) -> list[tuple[str, dict]]:
    """(event type, data) of one customer's stream, oldest first, personal data opened."""
    from infrastructure.eventstore.envelope import Envelope
    from infrastructure.eventstore.models import StoredEvent

    rows = StoredEvent.objects.filter(context="customers", stream_id=str(stream_id)).order_by("version")
    return [(row.event_type, Envelope.from_stored(row).opened().data) for row in rows]


def event_types(stream_id) -> list[str]:
    return [event_type for event_type, _ in events_of(stream_id)]


def customer_event_count() -> int:
    from infrastructure.eventstore.models import StoredEvent

    return StoredEvent.objects.filter(context="customers").count()


def row(customer_id):
    from contexts.customers.models import CustomerView

    return CustomerView.objects.filter(id=customer_id).first()


def points_of(customer_id) -> int:
    return row(customer_id).points_balance


def assert_problem(response, status: int, *, field: str | None = None, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body = json.loads(response.content)
    assert body["status"] == status and body["detail"] and body["title"]
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
    if code is not None:
        assert body["type"].endswith("/" + code + "/"), body["type"]
    return body


# --- sales events, as the sales context publishes them (see contexts/customers/README.md) ------
def sales_envelope(event_type: str, *, order_id: uuid.UUID, customer_id: uuid.UUID | None, total: str,
                   refund_id: uuid.UUID | None = None, version: int = 1, event_id: uuid.UUID | None = None) -> Envelope:
    data = {"order_id": str(order_id), "customer_id": str(customer_id) if customer_id else None, "total": total,
            "kind": "till", "lines": []}
    if refund_id is not None:
        data["refund_id"] = str(refund_id)
    return Envelope(event_id=event_id or uuid.uuid4(), source_context="sales", stream_type="Order",
                    stream_id=str(order_id), version=version, event_type=event_type, schema_version=1, data=data,
                    metadata={"correlation_id": uuid.uuid4().hex, "user": "till-cashier", "till": "till-1"},
                    recorded_at=dt.datetime.now(dt.timezone.utc))


def order_completed(customer_id, total: str, *, order_id: uuid.UUID | None = None, **kwargs) -> Envelope:
    return sales_envelope("OrderCompleted", order_id=order_id or uuid.uuid4(), customer_id=customer_id,
                          total=total, **kwargs)


def order_refunded(customer_id, order_id: uuid.UUID, total: str, *, refund_id: uuid.UUID | None = None,
                   **kwargs) -> Envelope:
    return sales_envelope("OrderRefunded", order_id=order_id, customer_id=customer_id, total=total,
                          refund_id=refund_id or uuid.uuid4(), version=2, **kwargs)
