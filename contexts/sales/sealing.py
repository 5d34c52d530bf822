"""How sales seals a delivery order's shipping address in `OrderPlaced` (registered in apps.py;
the mechanism is infrastructure/personal_data/sealing.py, the keys keyring.py, the reasons
docs/personal-data.md).

Wire form (schema v2):  ship_to = {key_id, personal: "aesgcm1.<nonce+ciphertext>"} or null
Opened form:            ship_to = {name, address, city, postal_code, country} or null

Events recorded before sealing existed are schema v1 with `ship_to` in plaintext. The upcaster
below lifts them to the v2 shape with `key_id` null and `personal` still plain, so one `open` path
reads both; `legacy.py` rewrites them sealed (forgetting does it for the subject,
`manage.py reseal_personal_data` for everyone).
"""

from __future__ import annotations

from infrastructure.events.upcasting import upcaster
from infrastructure.personal_data import cipher
from kernel.values import ERASED

from .domain.events import SALES
from .keyring import keyring, subject_of

SHIP_TO_FIELDS = ("name", "address", "city", "postal_code", "country")


def _aad(order_id) -> bytes:  # a token copied into another order's event does not open
    return f"ship-to:{order_id}".encode()


def erased() -> dict:
    return {"name": ERASED, **{name: None for name in SHIP_TO_FIELDS if name != "name"}}


def seal_ship_to(data: dict, ship_to: dict, key) -> dict:
    personal = {name: ship_to.get(name) for name in SHIP_TO_FIELDS}
    return {**data, "ship_to": {"key_id": str(key.key_id),
                                "personal": cipher.seal(personal, key.key(), aad=_aad(data["order_id"]))}}


class SalesSealer:
    event_types = frozenset({"OrderPlaced"})

    def seal(self, event_type: str, data: dict, db: str) -> dict:
        if data.get("ship_to") is None:
            return data
        kind, subject = subject_of(data)
        return seal_ship_to(data, data["ship_to"], keyring.key_for_sealing(subject, db, subject_kind=kind))

    def open(self, event_type: str, data: dict) -> dict:
        sealed = data.get("ship_to")
        if sealed is None:
            return data
        if sealed.get("key_id") is None:  # legacy plaintext, not resealed yet
            forgotten = keyring.is_forgotten(subject_of(data)[1])
            return {**data, "ship_to": erased() if forgotten else sealed["personal"]}
        key = keyring.key_by_id(sealed["key_id"])
        if key is None:
            return {**data, "ship_to": erased()}
        # A token that does not open under a live key is a fault (see contexts/customers/sealing.py).
        return {**data, "ship_to": cipher.open_token(sealed["personal"], key.key(), aad=_aad(data["order_id"]))}


@upcaster(SALES, "OrderPlaced", from_version=1)
def _unsealed_v2(data: dict) -> dict:
    ship_to = data.get("ship_to")
    return {**data, "ship_to": None if ship_to is None else {"key_id": None, "personal": ship_to}}
