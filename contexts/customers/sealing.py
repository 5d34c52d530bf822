"""How the customers context seals its details events (registered in apps.py; the mechanism is
infrastructure/personal_data/sealing.py, the key table keyring.py, the reasons docs/personal-data.md).

Wire form (schema v2):  {customer_id, key_id, personal: "aesgcm1.<nonce+ciphertext>"}
Opened form:            {customer_id, name, phone, email, address}, the event classes' fields

Events recorded before sealing existed are schema v1 with the details in plaintext. The upcaster
below lifts them to the v2 shape with `key_id` null and `personal` still plain, so one `open` path
reads both; `legacy.py` rewrites them sealed (the forget handler does it for the one customer,
`manage.py reseal_personal_data` for everyone).
"""

from __future__ import annotations

from infrastructure.events.upcasting import upcaster
from infrastructure.personal_data import cipher

from . import keyring
from .domain.events import CUSTOMERS, ERASED_NAME, PERSONAL_FIELDS

DETAILS_EVENTS = frozenset({"CustomerRegistered", "CustomerUpdated"})


def _aad(customer_id) -> bytes:
    return f"customer:{customer_id}".encode()


def erased(customer_id) -> dict:
    return {"customer_id": str(customer_id), "name": ERASED_NAME, "phone": None, "email": None, "address": None}


def seal_details(data: dict, key: keyring.DataKey) -> dict:
    personal = {name: data.get(name) for name in PERSONAL_FIELDS}
    return {"customer_id": str(data["customer_id"]), "key_id": str(key.key_id),
            "personal": cipher.seal(personal, key.key(), aad=_aad(data["customer_id"]))}


class CustomerSealer:
    event_types = DETAILS_EVENTS

    def seal(self, event_type: str, data: dict, db: str) -> dict:
        return seal_details(data, keyring.key_for_sealing(data["customer_id"], db))

    def open(self, event_type: str, data: dict) -> dict:
        customer_id = data["customer_id"]
        if data.get("key_id") is None:  # legacy plaintext, not resealed yet
            if keyring.is_forgotten(customer_id):
                return erased(customer_id)
            return {"customer_id": customer_id, **data["personal"]}
        key = keyring.key_by_id(data["key_id"])
        if key is None:
            return erased(customer_id)
        # A token that does not open under a live key is a fault (a missing master key, tampering):
        # CannotOpen propagates, and a consumer dead-letters the event rather than erase by mistake.
        return {"customer_id": customer_id, **cipher.open_token(data["personal"], key.key(), aad=_aad(customer_id))}


def _unsealed_v2(data: dict) -> dict:
    return {"customer_id": data["customer_id"], "key_id": None,
            "personal": {name: data.get(name) for name in PERSONAL_FIELDS}}


upcaster(CUSTOMERS, "CustomerRegistered", from_version=1)(_unsealed_v2)
upcaster(CUSTOMERS, "CustomerUpdated", from_version=1)(_unsealed_v2)
