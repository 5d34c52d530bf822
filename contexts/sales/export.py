"""What sales holds about one customer, for their right-of-access export (GDPR art. 15; the
export itself is contexts/customers/export.py): the shipping addresses of their delivery orders,
opened, with the order they belong to. The read model holds them in plaintext until the
customer is forgotten (then erased), so reading it is reading what is held."""

from __future__ import annotations

from .models import OrderView


def held_about_customer(customer_id) -> dict:
    orders = (OrderView.objects.filter(customer_id=customer_id, ship_to__isnull=False)
              .order_by("placed_at", "number").values("order_id", "number", "placed_at", "ship_to"))
    return {"delivery_addresses": [dict(order) for order in orders]}
