"""Events published by the sales context (topic `pos.sales.events`).

Money fields are decimal strings with two places; quantities are whole units; times are UTC.
Order amounts: `gross` = list price x quantity (before discounts), `discount_total`, `total`
(= what the customer owes, tax included), `tax_total` (tax contained in `total`), `subtotal`
(= total - tax_total). Lines carry the same per line.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from kernel.events import DomainEvent

SALES = "sales"


@dataclass(frozen=True)
class TaxLine:
    """Tax at one rate: `taxable` is the amount before tax, `tax` the tax on it."""

    rate: Decimal
    taxable: Decimal
    tax: Decimal


# --- tills and their sessions -----------------------------------------------------------------
@dataclass(frozen=True)
class TillRegistered(DomainEvent, context=SALES):
    """A manager registered a till in a store."""

    till_id: UUID
    name: str
    store_code: str
    store_name: str


@dataclass(frozen=True)
class TillSessionOpened(DomainEvent, context=SALES):
    """A cashier opened a till with a float of cash."""

    session_id: UUID
    till_id: UUID
    store_code: str
    cashier: str
    opening_float: Decimal
    opened_at: datetime


@dataclass(frozen=True)
class CashMovementRecorded(DomainEvent, context=SALES):
    """Cash paid into (positive) or out of (negative) the drawer, with a reason."""

    session_id: UUID
    till_id: UUID
    amount: Decimal
    reason: str
    cashier: str


# The four `Session*Recorded` events below are history only: until the drawer row (domain/drawer.py)
# kept a session's running totals, every sale, payment, refund and void was also written to the
# session's stream as one of them. Nothing records them any more; streams that have them replay.
@dataclass(frozen=True)
class SessionSaleRecorded(DomainEvent, context=SALES):
    """An order completed in this session (for the Z-report). History only."""

    session_id: UUID
    order_id: UUID
    gross: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    taxes: tuple[TaxLine, ...] = ()  # the sale's tax by rate (absent before Z-reports split tax by rate)


@dataclass(frozen=True)
class SessionPaymentRecorded(DomainEvent, context=SALES):
    """Money taken at this till (cash `amount` is what was kept, after change). History only."""

    session_id: UUID
    order_id: UUID
    payment_id: UUID
    method: str
    amount: Decimal


@dataclass(frozen=True)
class SessionRefundRecorded(DomainEvent, context=SALES):
    """Money given back at this till. History only."""

    session_id: UUID
    order_id: UUID
    refund_id: UUID
    method: str
    amount: Decimal
    tax: Decimal
    approved_by: str = ""  # the manager who approved it, when it was above the cashier's limit
    taxes: tuple[TaxLine, ...] = ()  # the refund's tax by rate


@dataclass(frozen=True)
class MethodAmount:
    method: str
    amount: Decimal


@dataclass(frozen=True)
class SessionVoidRecorded(DomainEvent, context=SALES):
    """A sale of this till was voided: `total` is what it would have been; `returned` is the money
    its payments had brought in, given back through this till (cash out of the drawer, card reversed).
    History only."""

    session_id: UUID
    order_id: UUID
    total: Decimal
    returned: tuple[MethodAmount, ...]


@dataclass(frozen=True)
class MethodTotals:
    method: str
    expected: Decimal
    counted: Decimal
    difference: Decimal
    # What the session took and gave back by this tender (since TillSessionClosed v2; null in
    # Z-reports published before, which the upcaster marks so).
    taken: Decimal | None = None
    given_back: Decimal | None = None


@dataclass(frozen=True)
class ZReport:
    sales_count: int
    gross: Decimal
    discounts: Decimal
    tax: Decimal
    refunds: Decimal
    refund_count: int
    net: Decimal
    opening_float: Decimal
    cash_in: Decimal
    cash_out: Decimal
    methods: tuple[MethodTotals, ...]
    cash_difference: Decimal
    # Sales voided in the session (never completed, their money returned). Absent from Z-reports
    # published before voids existed, hence the defaults.
    void_count: int = 0
    voids: Decimal = Decimal("0.00")
    # The till's Z number (1, 2, ... per till) and the tax by rate, sales less refunds; absent
    # from Z-reports published before them.
    z_number: int = 0
    taxes: tuple[TaxLine, ...] = ()
    # `discounts` and `tax` under the names orders and reports use; the short names stay for v1
    # clients (deprecated, docs/api/CHANGELOG.md).
    discount_total: Decimal = Decimal("0.00")
    tax_total: Decimal = Decimal("0.00")
    # The tax contained in the refunds (since TillSessionClosed v2; null before, see the upcaster).
    refund_tax: Decimal | None = None


@dataclass(frozen=True)
class TillSessionClosed(DomainEvent, context=SALES, version=2):
    """The till was closed with counted amounts; the Z-report is final, computed once from the
    session's drawer. Readers store it as it is (sales' session view, reporting's Z-reports).

    v2 adds `z_report.refund_tax` and each method's `taken` and `given_back`; v1 events are read
    with them null (contexts/sales/upcasters.py): the figures were never published for them."""

    session_id: UUID
    till_id: UUID
    cashier: str
    closed_at: datetime
    z_report: ZReport


# --- orders -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderLine:
    line_no: int
    product_id: UUID
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    price_includes_tax: bool
    tax_rate: Decimal
    discount_percent: Decimal
    gross: Decimal
    discount: Decimal
    total: Decimal
    tax: Decimal


@dataclass(frozen=True)
class ShipTo:
    """Where a delivery order goes: personal data, sealed on the wire (`OrderPlaced` v2). Once its
    key is destroyed it opens as erased: name `ERASED`, every other field None."""

    name: str
    address: str | None
    city: str | None
    postal_code: str | None
    country: str | None


SEALED_SHIP_TO = {
    "anyOf": [{
        "type": "object",
        "properties": {
            "key_id": {"type": "string", "format": "uuid",
                       "description": "The sales data key that sealed `personal`: the customer's when the order "
                                      "names one, else the order's own."},
            "personal": {"type": "string", "pattern": "^aesgcm1\\.",
                         "description": "AES-256-GCM of the JSON object {name, address, city, postal_code, "
                                        "country}; opens only while its key exists."},
        },
        "required": ["key_id", "personal"],
        "additionalProperties": False,
    }, {"type": "null"}],
}


@dataclass(frozen=True)
class OrderPlaced(DomainEvent, context=SALES, version=2):
    """An order was placed: `kind` is "till" (sold at the counter) or "delivery" (goes through
    the stock-reservation saga before it can be paid and shipped).

    Since schema version 2 `ship_to` travels sealed (`SEALED_SHIP_TO`, contexts/sales/sealing.py);
    this class is the opened form."""

    @classmethod
    def wire_schema(cls, opened: dict) -> dict:
        return {**opened, "properties": {**opened["properties"], "ship_to": SEALED_SHIP_TO}}

    order_id: UUID
    number: str
    kind: str
    store_code: str
    till_id: UUID | None
    session_id: UUID | None
    cashier: str
    customer_id: UUID | None
    lines: tuple[OrderLine, ...]
    taxes: tuple[TaxLine, ...]
    gross: Decimal
    discount_total: Decimal
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    placed_at: datetime
    ship_to: ShipTo | None
    approved_by: str = ""  # the manager who approved a discount above the cashier's limit


@dataclass(frozen=True)
class OrderAddressForgotten(DomainEvent, context=SALES):
    """A manager had a delivery order's shipping address forgotten (an order naming no customer;
    a customer's addresses go with the customer): its key is destroyed, the address opens as erased."""

    order_id: UUID
    requested_by: str
    forgotten_at: datetime


@dataclass(frozen=True)
class OrderConfirmed(DomainEvent, context=SALES):
    """The catalog reserved every line of a delivery order."""

    order_id: UUID


@dataclass(frozen=True)
class OrderCancelled(DomainEvent, context=SALES):
    """A delivery order was cancelled: `reasons` per line when stock could not be reserved."""

    order_id: UUID
    reasons: tuple[str, ...]
    was_confirmed: bool


@dataclass(frozen=True)
class PaymentRecorded(DomainEvent, context=SALES):
    """A payment towards an order. For cash, `tendered` may exceed what was owed: `change` went
    back and `amount` is what was kept."""

    order_id: UUID
    payment_id: UUID
    method: str
    amount: Decimal
    tendered: Decimal
    change: Decimal
    session_id: UUID | None
    paid_total: Decimal
    reference: str = ""  # the voucher's or cheque's number, for a tender that needs one
    points: int = 0  # loyalty points spent (method "points"): `amount` is their value
    customer_id: UUID | None = None  # the sale's customer, whose points they are


@dataclass(frozen=True)
class OrderCompleted(DomainEvent, context=SALES):
    """An order is fully paid. Carries what consumers need without another lookup."""

    order_id: UUID
    number: str
    kind: str
    store_code: str
    till_id: UUID | None
    session_id: UUID | None
    cashier: str
    customer_id: UUID | None
    lines: tuple[OrderLine, ...]
    gross: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    paid: Decimal
    change: Decimal
    completed_at: datetime


@dataclass(frozen=True)
class OrderShipped(DomainEvent, context=SALES):
    """A confirmed, paid delivery order left the shop."""

    order_id: UUID
    shipped_at: datetime


@dataclass(frozen=True)
class RefundLine:
    line_no: int
    product_id: UUID
    quantity: int
    amount: Decimal
    tax: Decimal


@dataclass(frozen=True)
class OrderRefunded(DomainEvent, context=SALES):
    """Lines (or parts of lines) were refunded; stock goes back."""

    order_id: UUID
    refund_id: UUID
    customer_id: UUID | None
    session_id: UUID | None
    till_id: UUID | None
    method: str
    lines: tuple[RefundLine, ...]
    total: Decimal
    tax: Decimal
    cashier: str
    reason: str
    approved_by: str = ""  # the manager who approved it, when it was above the cashier's limit
    points: int = 0  # loyalty points given back (method "points"): `total` is their value


@dataclass(frozen=True)
class ReturnedPayment:
    payment_id: UUID
    method: str
    amount: Decimal


@dataclass(frozen=True)
class OrderVoided(DomainEvent, context=SALES):
    """A till sale that was never completed was voided: it ends here, no stock is taken, and the
    payments it had (`returned`) went back through its till."""

    order_id: UUID
    number: str
    store_code: str
    till_id: UUID | None
    session_id: UUID | None
    cashier: str
    reason: str
    total: Decimal
    returned: tuple[ReturnedPayment, ...]
    voided_at: datetime
    customer_id: UUID | None = None  # whose loyalty points a "points" payment returned go back to
    points: int = 0  # the loyalty points given back


# --- tenders ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TenderDefined(DomainEvent, context=SALES):
    """A manager defined a way to pay besides cash and card (voucher, mobile, cheque...)."""

    tender_id: UUID
    code: str
    name: str
    gives_change: bool  # like cash: more may be tendered than is owed, the rest goes back
    needs_reference: bool  # each payment names the voucher's or cheque's number


@dataclass(frozen=True)
class TenderChanged(DomainEvent, context=SALES):
    tender_id: UUID
    code: str
    name: str
    gives_change: bool
    needs_reference: bool


@dataclass(frozen=True)
class TenderRetired(DomainEvent, context=SALES):
    """No payment may use the tender any more; past sales keep naming it."""

    tender_id: UUID
    code: str


@dataclass(frozen=True)
class TenderReinstated(DomainEvent, context=SALES):
    tender_id: UUID
    code: str
