"""Commands of the customers context: what a manager, the admin or a policy asks it to do."""

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID, uuid4

from .domain.customer import UNCHANGED


@dataclass(frozen=True)
class RegisterCustomer:
    name: str
    phone: str | None = None
    email: str | None = None
    address: dict | None = None  # {line1, line2, city, postal_code, country}
    customer_id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True)
class UpdateCustomer:
    """Change some details; a field left `UNCHANGED` keeps its value, None clears an optional one."""

    customer_id: UUID
    name: object = UNCHANGED
    phone: object = UNCHANGED
    email: object = UNCHANGED
    address: object = UNCHANGED


@dataclass(frozen=True)
class RemoveCustomer:
    customer_id: UUID
    reason: str | None = None


@dataclass(frozen=True)
class ForgetCustomer:
    """Erase the customer's personal data (GDPR art. 17): who asked is kept in the event."""

    customer_id: UUID
    requested_by: str


# --- issued by the loyalty policy in reaction to sales events --------------------------------
@dataclass(frozen=True)
class EarnLoyaltyPoints:
    customer_id: UUID
    order_id: UUID
    amount: Decimal


@dataclass(frozen=True)
class RedeemLoyaltyPoints:
    customer_id: UUID
    order_id: UUID
    payment_id: UUID
    points: int


@dataclass(frozen=True)
class RestoreLoyaltyPoints:
    customer_id: UUID
    order_id: UUID
    source_id: UUID  # the refund, or the voided order
    points: int


@dataclass(frozen=True)
class ReverseLoyaltyPoints:
    customer_id: UUID
    order_id: UUID
    refund_id: UUID
    amount: Decimal
