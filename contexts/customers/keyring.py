"""The customers' data keys: one AES-256 key per customer, stored wrapped by the master key
(infrastructure/personal_data/cipher.py). Written by the command side only, in the command's
transaction: the first sealed event of a customer makes the key; forgetting destroys it.

A destroyed key's row stays, with no key material, so that "this customer was forgotten" is a
fact the key table can answer and a late event for the customer is never sealed under a new key.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from infrastructure.eventstore.databases import db_for
from infrastructure.personal_data import cipher

from .domain.events import CUSTOMERS


class KeyDestroyed(Exception):
    """The customer was forgotten: their key is gone and nothing can be sealed for them."""


class DataKey(models.Model):
    customer_id = models.UUIDField(primary_key=True)
    key_id = models.UUIDField(unique=True, default=uuid.uuid4)
    master_key_id = models.CharField(max_length=64, blank=True, default="")
    wrapped_key = models.TextField(blank=True, default="")  # empty once destroyed
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "customers"
        db_table = "customers_cmd_data_key"

    def __str__(self):  # never the key material
        return f"data key {self.key_id} of customer {self.customer_id}"

    @property
    def destroyed(self) -> bool:
        return self.destroyed_at is not None

    def aad(self) -> bytes:
        return f"customer-key:{self.customer_id}:{self.key_id}".encode()

    def key(self) -> bytes:
        return cipher.unwrap(self.master_key_id, self.wrapped_key, aad=self.aad())


def _keys(db: str | None = None):
    return DataKey.objects.using(db or db_for(CUSTOMERS))


def new_key(customer_id) -> DataKey:
    """A fresh key for the customer, wrapped under the current master key, not saved."""
    row = DataKey(customer_id=customer_id)
    row.master_key_id, row.wrapped_key = cipher.wrap(cipher.new_data_key(), aad=row.aad())
    return row


def key_for_sealing(customer_id, db: str) -> DataKey:
    """The customer's key, made on first use (in the caller's transaction)."""
    row = _keys(db).filter(customer_id=customer_id).first()
    if row is None:
        row = new_key(customer_id)
        try:
            with transaction.atomic(using=db):  # a concurrent first event made it: use that one
                row.save(using=db, force_insert=True)
        except IntegrityError:
            row = _keys(db).get(customer_id=customer_id)
    if row.destroyed:
        raise KeyDestroyed(f"customer {customer_id} was forgotten; nothing can be sealed for them")
    return row


def key_by_id(key_id) -> DataKey | None:
    """The key that sealed an event, None when it was destroyed (or never existed here)."""
    row = _keys().filter(key_id=key_id).first()
    return None if row is None or row.destroyed else row


def is_forgotten(customer_id) -> bool:
    return _keys().filter(customer_id=customer_id, destroyed_at__isnull=False).exists()


def destroy(customer_id, db: str) -> None:
    """Forget the key. Makes the row first if the customer never had one (legacy plaintext events
    not yet sealed), so that nothing is ever sealed for them afterwards."""
    updated = _keys(db).filter(customer_id=customer_id).update(wrapped_key="", master_key_id="",
                                                               destroyed_at=timezone.now())
    if not updated:
        _keys(db).create(customer_id=customer_id, destroyed_at=timezone.now())


def rewrap_all(db: str | None = None) -> int:
    """Wrap every live key under the current master key (after adding a new one); returns how many
    changed. Each key is rewritten in its own short transaction."""
    current = cipher.current_master_key()
    changed = 0
    for row in _keys(db).filter(destroyed_at__isnull=True).exclude(master_key_id=current.id).iterator():
        with transaction.atomic(using=row._state.db):
            locked = _keys(row._state.db).select_for_update().get(pk=row.pk)
            if locked.destroyed or locked.master_key_id == current.id:
                continue
            locked.master_key_id, locked.wrapped_key = cipher.wrap(locked.key(), aad=locked.aad(), master=current)
            locked.save(update_fields=["master_key_id", "wrapped_key"])
            changed += 1
    return changed
