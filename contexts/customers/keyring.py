"""The customers' data keys: one AES-256 key per customer, in the customers' command-side table
(the mechanism is infrastructure/personal_data/keyring.py): the first sealed event of a customer
makes the key; forgetting destroys it."""

from __future__ import annotations

from django.db import models

from infrastructure.personal_data.keyring import DataKeyBase, KeyDestroyed, Keyring

from .domain.events import CUSTOMERS

__all__ = ["DataKey", "KeyDestroyed", "destroy", "is_forgotten", "key_by_id", "key_for_sealing", "new_key",
           "rewrap_all"]


class DataKey(DataKeyBase):
    customer_id = models.UUIDField(primary_key=True)

    class Meta:
        app_label = "customers"
        db_table = "customers_cmd_data_key"

    def aad(self) -> bytes:
        return f"customer-key:{self.customer_id}:{self.key_id}".encode()


_ring = Keyring(DataKey, CUSTOMERS)
new_key = _ring.new_key
key_for_sealing = _ring.key_for_sealing
key_by_id = _ring.key_by_id
is_forgotten = _ring.is_forgotten
destroy = _ring.destroy
rewrap_all = _ring.rewrap_all
