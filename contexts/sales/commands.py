"""Commands of the sales context."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True)
class RegisterTill:
    """In a store registered with the stores context and open; the till takes its name."""

    till_id: UUID
    name: str
    store_code: str


@dataclass(frozen=True)
class OpenTillSession:
    session_id: UUID
    till_id: UUID
    cashier: str
    opening_float: Decimal


@dataclass(frozen=True)
class RecordCashMovement:
    till_id: UUID
    amount: Decimal  # positive: paid in; negative: paid out
    reason: str
    cashier: str


@dataclass(frozen=True)
class CloseTillSession:
    till_id: UUID
    cashier: str
    counted: dict  # method -> counted amount (Decimal); cash at least
    void_unfinished: bool = False  # void the till's sales that are not completed (else 409 listing them)


@dataclass(frozen=True)
class LineRequest:
    product_id: UUID
    quantity: int
    discount_percent: Decimal = Decimal("0")


@dataclass(frozen=True)
class PaymentRequest:
    method: str  # cash | card | a tender the shop defined
    amount: Decimal
    reference: str = ""  # the voucher's or cheque's number, for a tender that needs one


@dataclass(frozen=True)
class ShipToRequest:
    name: str
    address: str
    city: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class PlaceTillSale:
    order_id: UUID
    till_id: UUID
    cashier: str
    lines: tuple[LineRequest, ...]
    payments: tuple[PaymentRequest, ...] = ()
    customer_id: UUID | None = None
    placed_at: datetime | None = None  # the till's own time, for orders sent after being offline
    max_discount_percent: Decimal = Decimal("100")
    approval: str = ""  # a manager's single-use approval token (lifts the cashier's discount limit)


@dataclass(frozen=True)
class PlaceDeliveryOrder:
    order_id: UUID
    cashier: str
    store_code: str
    lines: tuple[LineRequest, ...]
    ship_to: ShipToRequest
    customer_id: UUID | None = None
    max_discount_percent: Decimal = Decimal("100")


@dataclass(frozen=True)
class PayOrder:
    order_id: UUID
    payments: tuple[PaymentRequest, ...]
    till_id: UUID | None = None  # where the money was taken: required (its open session counts it)


@dataclass(frozen=True)
class VoidOrder:
    order_id: UUID
    cashier: str
    reason: str = ""
    till_id: UUID | None = None  # the till acting (a till-bound token): must be the sale's own till


@dataclass(frozen=True)
class ConfirmOrder:
    order_id: UUID


@dataclass(frozen=True)
class CancelOrder:
    order_id: UUID
    reasons: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ShipOrder:
    order_id: UUID


@dataclass(frozen=True)
class RefundLineRequest:
    line_no: int
    quantity: int


@dataclass(frozen=True)
class RefundOrder:
    order_id: UUID
    refund_id: UUID
    lines: tuple[RefundLineRequest, ...]
    method: str  # "original" | "cash" | "card" | a tender the shop defined
    cashier: str
    reason: str = ""
    till_id: UUID | None = None
    max_amount: Decimal | None = None  # the caller's refund limit (cashiers have one), cumulative
    approval: str = ""  # a manager's single-use approval token (lifts the limit)


@dataclass(frozen=True)
class GrantApproval:
    token: str  # the secret the till will send once (only its hash is stored)
    manager: str


@dataclass(frozen=True)
class DefineTender:
    code: str
    name: str
    gives_change: bool = False
    needs_reference: bool = False


@dataclass(frozen=True)
class ChangeTender:
    """None leaves a field as it is."""

    code: str
    name: str | None = None
    gives_change: bool | None = None
    needs_reference: bool | None = None
    active: bool | None = None


@dataclass(frozen=True)
class ForgetOrderAddress:
    """A manager has a delivery order's shipping address forgotten (an order naming no customer)."""

    order_id: UUID
    requested_by: str


@dataclass(frozen=True)
class ForgetCustomerAddresses:
    """The customers context forgot a customer: sales destroys its key for their addresses."""

    customer_id: UUID
