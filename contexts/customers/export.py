"""Right of access (GDPR art. 15): everything the customers context holds about one customer,
decrypted, as one JSON document. A query, not a command: it changes nothing.

What is held: the command side's state (replayed from the events, so it is the truth even when
the read model trails), the read model's row, and every event of the customer's stream with its
details opened and who/when/which till; and what sales holds about them, the shipping addresses
of their delivery orders (sales' own query, registered with infrastructure/personal_data/holdings.py
and keyed by the context's name; sales keeps the customer's
name too, opened from these same events, see docs/personal-data.md). A forgotten customer has
nothing left to hand over: NotFound.
"""

from __future__ import annotations

from django.utils import timezone

from infrastructure.aggregates.repository import Repository
from infrastructure.eventstore.store import EventStore
from infrastructure.personal_data.holdings import holdings
from kernel.errors import NotFound
from kernel.serialization import to_json

from .domain.customer import Customer
from .domain.events import CUSTOMERS
from .models import CustomerView

METADATA_KEYS = ("user", "till", "request_id")


def customer_export(customer_id) -> dict:
    customer = Repository(Customer).get(customer_id, label="customer")
    if customer.forgotten:
        raise NotFound(f"Customer {customer_id} was forgotten; no personal data is held about them.")
    row = CustomerView.objects.filter(id=customer.id).values(
        "registered_at", "updated_at", "status", "points_balance").first()
    events = [envelope.opened() for envelope in EventStore(CUSTOMERS).load(customer.id)]
    return to_json({
        "exported_at": timezone.now(),
        "customer": customer.state(),
        "read_model": row,
        "events": [{"event_type": e.event_type, "version": e.version, "recorded_at": e.recorded_at,
                    "data": e.data, **{key: e.metadata.get(key) for key in METADATA_KEYS}} for e in events],
        **holdings(customer.id),
    })
