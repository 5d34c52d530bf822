"""The published event contracts of the customers context (JSON Schemas in `../schemas/`).

Details events carry the customer's full details, not a diff: a consumer (sales keeps names for
receipts) can overwrite its copy without knowing the previous state.
"""

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from kernel.events import DomainEvent
from kernel.values import PostalAddress

CUSTOMERS = "customers"


Address = PostalAddress  # line2 and postal_code are "" when there is none; country is ISO 3166-1 alpha-2


@dataclass(frozen=True)
class CustomerRegistered(DomainEvent, context=CUSTOMERS):
    """A customer was registered (phone normalised, email domain in lower case).

    `phone` is digits with an optional leading +; `email`'s domain is lower-case."""

    customer_id: UUID
    name: str
    phone: str | None
    email: str | None
    address: Address | None


@dataclass(frozen=True)
class CustomerUpdated(DomainEvent, context=CUSTOMERS):
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
class LoyaltyPointsEarned(DomainEvent, context=CUSTOMERS):
    """Points credited for a paid order (`amount` is what the order's total was)."""

    customer_id: UUID
    order_id: UUID
    points: int
    amount: Decimal


@dataclass(frozen=True)
class LoyaltyPointsReversed(DomainEvent, context=CUSTOMERS):
    """Points taken back because (part of) an order was refunded."""

    customer_id: UUID
    order_id: UUID
    refund_id: UUID
    points: int
