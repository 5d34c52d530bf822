"""A context's data keys: one AES-256 key per data subject, stored wrapped by the master key
(cipher.py), in a table of the context's command side. Written by the command side only, in the
command's transaction: the first sealed event of a subject makes its key; forgetting destroys it.

A context declares its table as a subclass of `DataKeyBase` (with its subject's primary key and
`aad()`), and its key functions as `Keyring(model, context)`:

    ring = Keyring(DataKey, CUSTOMERS)          # contexts/customers/keyring.py
    ring.key_for_sealing(subject, db)           # the sealer, in the command's transaction
    ring.key_by_id(key_id)                      # opening; None once destroyed
    ring.destroy(subject, db)                   # forgetting

A destroyed key's row stays, with no key material, so that "this subject was forgotten" is a fact
the key table can answer and a late event for the subject is never sealed under a new key.
Every keyring is registered, so `manage.py master_key rewrap` rewraps all of them.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from infrastructure.eventstore.databases import db_for

from . import cipher


class KeyDestroyed(Exception):
    """The subject was forgotten: their key is gone and nothing can be sealed for them."""


class DataKeyBase(models.Model):
    key_id = models.UUIDField(unique=True, default=uuid.uuid4)
    master_key_id = models.CharField(max_length=64, blank=True, default="")
    wrapped_key = models.TextField(blank=True, default="")  # empty once destroyed
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self):  # never the key material
        return f"data key {self.key_id} of {self.pk}"

    @property
    def destroyed(self) -> bool:
        return self.destroyed_at is not None

    def aad(self) -> bytes:
        """Binds the wrapped key to its subject and id (each table says how)."""
        raise NotImplementedError

    def key(self) -> bytes:
        return cipher.unwrap(self.master_key_id, self.wrapped_key, aad=self.aad())


class Keyring:
    def __init__(self, model: type[DataKeyBase], context: str):
        self.model = model
        self.context = context
        self.subject = model._meta.pk.name
        _KEYRINGS.append(self)

    def _keys(self, db: str | None = None):
        return self.model.objects.using(db or db_for(self.context))

    def new_key(self, subject, **fields) -> DataKeyBase:
        """A fresh key for the subject, wrapped under the current master key, not saved."""
        row = self.model(**{self.subject: subject}, **fields)
        row.master_key_id, row.wrapped_key = cipher.wrap(cipher.new_data_key(), aad=row.aad())
        return row

    def key_for_sealing(self, subject, db: str, **fields) -> DataKeyBase:
        """The subject's key, made on first use (in the caller's transaction)."""
        row = self._keys(db).filter(pk=subject).first()
        if row is None:
            row = self.new_key(subject, **fields)
            try:
                with transaction.atomic(using=db):  # a concurrent first event made it: use that one
                    row.save(using=db, force_insert=True)
            except IntegrityError:
                row = self._keys(db).get(pk=subject)
        if row.destroyed:
            raise KeyDestroyed(f"{self.subject} {subject} was forgotten; nothing can be sealed for them")
        return row

    def key_by_id(self, key_id) -> DataKeyBase | None:
        """The key that sealed an event, None when it was destroyed (or never existed here)."""
        row = self._keys().filter(key_id=key_id).first()
        return None if row is None or row.destroyed else row

    def is_forgotten(self, subject) -> bool:
        return self._keys().filter(pk=subject, destroyed_at__isnull=False).exists()

    def destroy(self, subject, db: str, **fields) -> bool:
        """Forget the key; True when it was not destroyed before. Makes the row if the subject never
        had one (legacy plaintext events not yet sealed), so nothing is sealed for them afterwards."""
        if self._keys(db).filter(pk=subject, destroyed_at__isnull=False).exists():
            return False
        updated = self._keys(db).filter(pk=subject).update(wrapped_key="", master_key_id="",
                                                           destroyed_at=timezone.now())
        if not updated:
            self._keys(db).create(**{self.subject: subject}, **fields, destroyed_at=timezone.now())
        return True

    def rewrap_all(self, db: str | None = None) -> int:
        """Wrap every live key under the current master key (after adding a new one); returns how
        many changed. Each key is rewritten in its own short transaction."""
        current = cipher.current_master_key()
        changed = 0
        for row in self._keys(db).filter(destroyed_at__isnull=True).exclude(master_key_id=current.id).iterator():
            with transaction.atomic(using=row._state.db):
                locked = self._keys(row._state.db).select_for_update().get(pk=row.pk)
                if locked.destroyed or locked.master_key_id == current.id:
                    continue
                locked.master_key_id, locked.wrapped_key = cipher.wrap(locked.key(), aad=locked.aad(), master=current)
                locked.save(update_fields=["master_key_id", "wrapped_key"])
                changed += 1
        return changed


_KEYRINGS: list[Keyring] = []


def rewrap_every_keyring() -> int:
    """`manage.py master_key rewrap`: every context's live keys under the current master key."""
    return sum(ring.rewrap_all() for ring in _KEYRINGS)
