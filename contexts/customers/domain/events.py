"""The published event contracts of the customers context (JSON Schemas in `../schemas/`).

Details events carry the customer's full details, not a diff: a consumer (sales keeps names for
receipts) can overwrite its copy without knowing the previous state.

Since schema version 2 the details travel *sealed*: on the wire and in the event table a details
event is `{customer_id, key_id, personal}`, `personal` being the details encrypted under the
customer's own key (`../sealing.py`). The classes below are the opened form, what the aggregate
and the projections see; once the customer is forgotten (`CustomerForgotten`, key destroyed) the
details open as erased: name `ERASED_NAME`, no phone, email or address.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from kernel.events import DomainEvent
from kernel.values import ERASED, PostalAddress

CUSTOMERS = "customers"


Address = PostalAddress  # line2 and postal_code are "" when there is none; country is ISO 3166-1 alpha-2


ERASED_NAME = ERASED
PERSONAL_FIELDS = ("name", "phone", "email", "address")


class SealedDetails:
    """A details event: the personal fields travel encrypted (the schema of the wire form)."""

    @classmethod
    def wire_schema(cls, opened: dict) -> dict:
        return {
            "type": "object",
            "properties": {
                "customer_id": {"type": "string", "format": "uuid"},
                "key_id": {"type": "string", "format": "uuid",
                           "description": "The customer's data key that sealed `personal`."},
                "personal": {"type": "string", "pattern": "^aesgcm1\\.",
                             "description": "AES-256-GCM of the JSON object {name, phone, email, address}; "
                                            "opens only while the customer's key exists."},
            },
            "required": ["customer_id", "key_id", "personal"],
            "additionalProperties": False,
        }


@dataclass(frozen=True)
class CustomerRegistered(SealedDetails, DomainEvent, context=CUSTOMERS, version=2):
    """A customer was registered (phone normalised, email domain in lower case).

    `phone` is digits with an optional leading +; `email`'s domain is lower-case."""

    customer_id: UUID
    name: str
    phone: str | None
    email: str | None
    address: Address | None


@dataclass(frozen=True)
class CustomerUpdated(SealedDetails, DomainEvent, context=CUSTOMERS, version=2):
    """A customer's details changed: all of the new details, not a diff."""

    customer_id: UUID
    name: str
    phone: str | None
    email: str | None
    address: Address | None


@dataclass(frozen=True)
class CustomerRemoved(DomainEvent, context=CUSTOMERS):
    """A customer was removed: no more changes or points. The history stays."""

    customer_id: UUID
    reason: str | None


@dataclass(frozen=True)
class CustomerForgotten(DomainEvent, context=CUSTOMERS):
    """The customer's personal data was erased on request (GDPR art. 17): their key is destroyed,
    so every earlier details event opens as erased. Points and sales stay; the history stays."""

    customer_id: UUID
    requested_by: str  # the user who asked for it
    forgotten_at: dt.datetime  # UTC


@dataclass(frozen=True)
class LoyaltyPointsEarned(DomainEvent, context=CUSTOMERS):
    """Points credited for a paid order (`amount` is what the order's total was)."""

    customer_id: UUID
    order_id: UUID
    points: int
    amount: Decimal


@dataclass(frozen=True)
class LoyaltyPointsRedeemed(DomainEvent, context=CUSTOMERS):
    """Points spent at a till (a sales payment by method "points")."""

    customer_id: UUID
    order_id: UUID
    payment_id: UUID
    points: int


@dataclass(frozen=True)
class LoyaltyPointsRestored(DomainEvent, context=CUSTOMERS):
    """Spent points given back: the sale paid by them was refunded (`source_id` is the refund) or
    voided (the order)."""

    customer_id: UUID
    order_id: UUID
    source_id: UUID
    points: int


@dataclass(frozen=True)
class LoyaltyPointsReversed(DomainEvent, context=CUSTOMERS):
    """Points taken back because (part of) an order was refunded."""

    customer_id: UUID
    order_id: UUID
    refund_id: UUID
    points: int
