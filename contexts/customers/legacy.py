"""Sealing the customers' details events recorded before sealing existed (schema v1, plaintext),
in place, with their inbox copies (the rewriting and why it is allowed:
infrastructure/personal_data/reseal.py).

    reseal_stream(customer_id, db)   # the forget handler, before it destroys the key
    reseal_all()                     # manage.py reseal_personal_data, once after upgrading
"""

from __future__ import annotations

from django.db import transaction

from infrastructure.eventstore.databases import db_for
from infrastructure.eventstore.envelope import Envelope
from infrastructure.eventstore.models import StoredEvent
from infrastructure.personal_data.reseal import rewrite

from . import keyring
from .domain.events import CUSTOMERS
from .sealing import DETAILS_EVENTS, seal_details

SEALED_VERSION = 2


def _legacy(db: str):
    return StoredEvent.objects.using(db).filter(context=CUSTOMERS, event_type__in=DETAILS_EVENTS,
                                                schema_version__lt=SEALED_VERSION)


def reseal_stream(customer_id, db: str) -> int:
    """Seal one customer's plaintext details events in place (in the caller's transaction).
    Returns how many were rewritten."""
    rows = list(_legacy(db).filter(stream_id=str(customer_id)).order_by("version"))
    if not rows:
        return 0
    key = keyring.key_for_sealing(customer_id, db)

    def sealed(row) -> dict:
        data = Envelope.from_stored(row).upcasted().data
        return seal_details({"customer_id": data["customer_id"], **data["personal"]}, key)

    return rewrite(db, rows, sealed, SEALED_VERSION)


def erase_stream(customer_id, db: str) -> int:
    """A forgotten customer's plaintext events, rewritten sealed under a throw-away key that is
    never stored: they open as erased, like the rest of the customer's events."""
    rows = list(_legacy(db).filter(stream_id=str(customer_id)))
    throwaway = keyring.new_key(customer_id)
    return rewrite(db, rows, lambda row: seal_details({"customer_id": str(customer_id)}, throwaway), SEALED_VERSION)


def legacy_customers(db: str | None = None) -> list[str]:
    return sorted(set(_legacy(db or db_for(CUSTOMERS)).values_list("stream_id", flat=True)))


def reseal_all() -> int:
    """Every customer with plaintext events, one transaction each. Returns events rewritten."""
    db = db_for(CUSTOMERS)
    total = 0
    for customer_id in legacy_customers(db):
        with transaction.atomic(using=db):
            total += (erase_stream if keyring.is_forgotten(customer_id) else reseal_stream)(customer_id, db)
    return total
