"""Sealing the details events recorded before sealing existed (schema v1, plaintext).

The event table refuses UPDATE (a trigger, infrastructure migration 0009). This is the one
sanctioned exception: inside a transaction that sets `pos.reseal_personal_data`, the trigger lets
an UPDATE through when it changes nothing but `data` and `schema_version`, i.e. it rewrites an
event into the same event in its sealed form. The inbox rows that copied the event are rewritten
with it. Kafka keeps the plaintext messages it already has until the topic's retention drops
them (docs/personal-data.md says how to shorten that).

    reseal_stream(customer_id, db)   # the forget handler, before it destroys the key
    reseal_all()                     # manage.py reseal_personal_data, once after upgrading
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections, transaction

from infrastructure.consumers.models import InboxEvent
from infrastructure.eventstore.databases import db_for
from infrastructure.eventstore.envelope import Envelope
from infrastructure.eventstore.models import StoredEvent

from . import keyring
from .domain.events import CUSTOMERS
from .sealing import DETAILS_EVENTS, seal_details

SEALED_VERSION = 2
_ALLOW = "SELECT set_config('pos.reseal_personal_data', 'on', true)"  # true: for this transaction only


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

    return _rewrite(db, rows, sealed)


def erase_stream(customer_id, db: str) -> int:
    """A forgotten customer's plaintext events, rewritten sealed under a throw-away key that is
    never stored: they open as erased, like the rest of the customer's events."""
    rows = list(_legacy(db).filter(stream_id=str(customer_id)))
    throwaway = keyring.new_key(customer_id)
    return _rewrite(db, rows, lambda row: seal_details({"customer_id": str(customer_id)}, throwaway))


def _rewrite(db: str, rows: list[StoredEvent], sealed) -> int:
    connection = connections[db]
    if rows and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_ALLOW)
    for row in rows:
        data = sealed(row)
        # QuerySet.update, not save(): StoredEvent.save refuses updates on purpose.
        StoredEvent.objects.using(db).filter(position=row.position).update(data=data, schema_version=SEALED_VERSION)
        for alias in settings.DATABASES:  # the inbox copies, wherever a consumer keeps them
            InboxEvent.objects.using(alias).filter(event_id=row.event_id).update(data=data,
                                                                                 schema_version=SEALED_VERSION)
    return len(rows)


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
