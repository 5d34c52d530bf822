"""Sales' data keys, for delivery orders' shipping addresses (docs/personal-data.md): one key per
subject, in the sales command side's own table (the mechanism is
infrastructure/personal_data/keyring.py). The subject is the order's customer when the order names
one (forgetting the customer destroys it, every one of their addresses at once), else the order
itself (a manager may have that one address forgotten)."""

from __future__ import annotations

from django.db import models

from infrastructure.personal_data.keyring import DataKeyBase, KeyDestroyed, Keyring

from .domain.events import SALES

__all__ = ["CUSTOMER", "ORDER", "KeyDestroyed", "SalesDataKey", "keyring", "subject_of"]

CUSTOMER, ORDER = "customer", "order"


class SalesDataKey(DataKeyBase):
    subject_id = models.UUIDField(primary_key=True)  # a customer id or an order id (both UUID4: never the same)
    subject_kind = models.CharField(max_length=8, choices=[(CUSTOMER, CUSTOMER), (ORDER, ORDER)])

    class Meta:
        app_label = "sales"
        db_table = "sales_cmd_data_key"

    def aad(self) -> bytes:
        return f"sales-key:{self.subject_kind}:{self.subject_id}:{self.key_id}".encode()


keyring = Keyring(SalesDataKey, SALES)


def subject_of(data: dict) -> tuple[str, str]:
    """(kind, id) of the key an OrderPlaced's address is sealed under."""
    if data.get("customer_id"):
        return CUSTOMER, str(data["customer_id"])
    return ORDER, str(data["order_id"])
