"""Sealing the delivery orders' addresses that older code recorded in plaintext (`OrderPlaced`
v1 with a `ship_to`), in place, with their inbox copies (the rewriting and why it is allowed:
infrastructure/personal_data/reseal.py). Till sales (no address) are left as they are: v1 reads
the same through the upcaster, and there is nothing in them to seal.

    reseal_subject(kind, subject_id, db)   # forgetting, before the key is destroyed
    reseal_all()                           # manage.py reseal_personal_data, once after upgrading
"""

from __future__ import annotations

from django.db import transaction

from infrastructure.eventstore.databases import db_for
from infrastructure.eventstore.envelope import Envelope
from infrastructure.eventstore.models import StoredEvent
from infrastructure.personal_data.reseal import rewrite

from .domain.events import SALES
from .keyring import CUSTOMER, keyring, subject_of
from .sealing import erased, seal_ship_to

SEALED_VERSION = 2


def _legacy(db: str):
    return (StoredEvent.objects.using(db).filter(context=SALES, event_type="OrderPlaced",
                                                 schema_version__lt=SEALED_VERSION)
            .exclude(data__ship_to=None))


def _of(rows, kind: str, subject_id: str):
    if kind == CUSTOMER:
        return rows.filter(data__customer_id=subject_id)
    return rows.filter(stream_id=subject_id)


def reseal_subject(kind: str, subject_id, db: str) -> int:
    """Seal the subject's plaintext addresses under its key (made if need be), in the caller's
    transaction; under a throw-away key that is never stored when the subject was forgotten, so
    they open as erased. Returns how many events were rewritten."""
    subject_id = str(subject_id)
    rows = list(_of(_legacy(db), kind, subject_id).order_by("position"))
    if not rows:
        return 0
    if keyring.is_forgotten(subject_id):
        key, address = keyring.new_key(subject_id, subject_kind=kind), (lambda data: erased())
    else:
        key, address = keyring.key_for_sealing(subject_id, db, subject_kind=kind), (lambda data: data["ship_to"])

    def sealed(row) -> dict:
        data = Envelope.from_stored(row).data  # v1: ship_to in plaintext
        return seal_ship_to(data, address(data), key)

    return rewrite(db, rows, sealed, SEALED_VERSION)


def legacy_subjects(db: str | None = None) -> list[tuple[str, str]]:
    rows = _legacy(db or db_for(SALES)).values_list("stream_id", "data__customer_id")
    return sorted({subject_of({"order_id": order_id, "customer_id": customer_id}) for order_id, customer_id in rows})


def reseal_all() -> int:
    """Every subject with plaintext addresses, one transaction each. Returns events rewritten."""
    db = db_for(SALES)
    total = 0
    for kind, subject_id in legacy_subjects(db):
        with transaction.atomic(using=db):
            total += reseal_subject(kind, subject_id, db)
    return total
