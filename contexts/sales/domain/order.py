"""The order aggregate: a till sale or a delivery order, its payments and refunds.

Statuses: till sale      placed -> completed (fully paid; at once when the total is 0.00)
                         placed -> voided (never completed: its payments go back, no stock is taken)
          delivery order placed -> confirmed (stock reserved) | cancelled
                         confirmed -> completed (paid) -> shipped;  confirmed -> cancelled
Refunds apply to completed till sales and to shipped delivery orders.
"""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from kernel.aggregate import Aggregate
from kernel.errors import Conflict, DomainError

from .errors import NeedsManager
from .events import (
    SALES, OrderAddressForgotten, OrderCancelled, OrderCompleted, OrderConfirmed, OrderLine, OrderPlaced,
    OrderRefunded, OrderShipped, OrderVoided, PaymentRecorded, RefundLine, ReturnedPayment, ShipTo, TaxLine,
)
from .pricing import Totals, refund_share
from .tender import BUILT_IN, POINTS, Points, TenderRule

TILL, DELIVERY = "till", "delivery"
CASH, CARD = "cash", "card"
ZERO = Decimal("0.00")


class Order(Aggregate):
    context = SALES
    stream_type = "Order"

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.number = ""
        self.kind = TILL
        self.status = "new"
        self.store_code = ""
        self.till_id: UUID | None = None
        self.session_id: UUID | None = None
        self.cashier = ""
        self.customer_id: UUID | None = None
        self.lines: dict[int, OrderLine] = {}
        self.gross = self.discount_total = self.tax_total = self.total = ZERO
        self.paid = ZERO
        self.change = ZERO
        self.paid_by: dict[str, Decimal] = {}  # by tender code
        self.refunded_by: dict[str, Decimal] = {}
        self.points_paid = self.points_refunded = 0  # loyalty points spent on this order, and given back
        self.refunded_lines: dict[int, tuple[int, Decimal, Decimal]] = {}  # line -> (qty, amount, tax)
        self.refund_ids: set[UUID] = set()
        self.refunds: dict[UUID, OrderRefunded] = {}
        self.unapproved_refunded = ZERO  # refunded without a manager's approval: the cashier limit's tally
        self.payments: list[ReturnedPayment] = []  # what a void gives back
        self.placed_at: datetime | None = None
        self.taxes: tuple[TaxLine, ...] = ()  # the sale's tax by rate
        self.has_address = False  # a delivery order's ship_to (personal data, sealed in OrderPlaced)
        self.address_forgotten = False

    @property
    def remaining(self) -> Decimal:
        return self.total - self.paid

    # -- placing -------------------------------------------------------------------------------
    def place(self, *, number: str, kind: str, store_code: str, till_id, session_id, cashier: str, customer_id,
              lines: list[OrderLine], totals: Totals, placed_at: datetime, ship_to: ShipTo | None = None,
              approved_by: str = ""):
        """A till sale owing nothing (a 100 % discount) is completed at once."""
        if self.exists:
            raise Conflict("This order already exists.")
        if not lines:
            raise DomainError("An order needs at least one line.", field="lines")
        self._record(OrderPlaced(
            order_id=self.uuid, number=number, kind=kind, store_code=store_code, till_id=till_id,
            session_id=session_id, cashier=cashier, customer_id=customer_id, lines=tuple(lines), taxes=totals.taxes,
            gross=totals.gross, discount_total=totals.discount_total, subtotal=totals.subtotal,
            tax_total=totals.tax_total, total=totals.total, placed_at=placed_at, ship_to=ship_to,
            approved_by=approved_by))
        if kind == TILL and self.total == 0:
            self._complete(placed_at)

    # -- payments ------------------------------------------------------------------------------
    def pay(self, payments, *, payment_ids, session_id, at: datetime, tenders: Mapping[str, TenderRule] = BUILT_IN,
            max_change: Decimal | None = None, points: Points | None = None) -> list[PaymentRecorded]:
        """Take payments in the order given. A tender that gives change (cash) may exceed what is
        still owed (at most `max_change` back); any other may not. `tenders` are the ones the
        payments may use, by code. Completes the order when fully paid.
        Messages never name the order's number: when the sale is being placed, its number is
        not taken yet (the refusal rolls it back)."""
        if self.kind == DELIVERY and self.status != "confirmed":
            raise Conflict(f"Order {self.number} is {self.status}; a delivery order is paid once confirmed.",
                           code="NotPayable")
        if self.kind == TILL and self.status != "placed":
            raise Conflict(f"Order {self.number} is {self.status}; nothing is owed.", code="NotPayable")
        recorded = []
        points_left = points.available if points is not None else 0
        for index, (payment, payment_id) in enumerate(zip(payments, payment_ids)):
            field = f"payments.{index}.amount"
            amount = payment.amount
            tender = tenders.get(payment.method)
            if tender is None or not tender.active:
                raise DomainError(f"Unknown payment method {payment.method!r}; use one of "
                                  f"{', '.join(sorted(c for c, t in tenders.items() if t.active))}.",
                                  field=f"payments.{index}.method", code="UnknownTender")
            reference = " ".join(str(getattr(payment, "reference", "") or "").split())[:60]
            if tender.needs_reference and not reference:
                raise DomainError(f"A {tender.name} payment needs its reference (the voucher's or cheque's number).",
                                  field=f"payments.{index}.reference", code="ReferenceRequired")
            if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
                raise DomainError("A payment is a positive amount in cents.", field=field)
            if self.remaining <= 0:
                raise DomainError(f"The order is already fully paid; payment {index + 1} is one too many.",
                                  field=field, code="Overpaid")
            if not tender.gives_change and amount > self.remaining:
                raise DomainError(f"A {tender.name.lower()} payment cannot exceed what is owed ({self.remaining}); "
                                  "it gives no change.", field=field,
                                  code="CardOverpayment" if tender.code == CARD else "TenderGivesNoChange")
            if tender.gives_change and max_change is not None and amount - self.remaining > max_change:
                raise DomainError(f"{amount} tendered for {self.remaining} owed would give more than {max_change} "
                                  "change; check the amount.", field=field, code="TenderTooLarge")
            spent = 0
            if payment.method == POINTS.code:
                spent = self._points_for(amount, points, points_left, index)
                points_left -= spent
            kept = min(amount, self.remaining)
            event = PaymentRecorded(order_id=self.uuid, payment_id=payment_id, method=payment.method, amount=kept,
                                    tendered=amount, change=amount - kept, session_id=session_id,
                                    paid_total=self.paid + kept, reference=reference, points=spent,
                                    customer_id=self.customer_id)
            self._record(event)
            recorded.append(event)
        if self.remaining == 0:
            self._complete(at)
        return recorded

    def _points_for(self, amount: Decimal, points: Points | None, left: int, index: int) -> int:
        if self.customer_id is None or points is None:
            raise DomainError("Loyalty points pay only for a sale to a customer: add the customer to the sale.",
                              field=f"payments.{index}.method", code="PointsNeedCustomer")
        wanted = points.for_amount(amount, f"payments.{index}.amount")
        if wanted > left:
            raise DomainError(f"The customer has {left} points ({left * points.value} to spend); {amount} needs "
                              f"{wanted}.", field=f"payments.{index}.amount", code="NotEnoughPoints")
        return wanted

    def _complete(self, at: datetime):
        self._record(OrderCompleted(
            order_id=self.uuid, number=self.number, kind=self.kind, store_code=self.store_code,
            till_id=self.till_id, session_id=self.session_id,
            cashier=self.cashier, customer_id=self.customer_id, lines=tuple(self.lines.values()),
            gross=self.gross, discount_total=self.discount_total, tax_total=self.tax_total, total=self.total,
            paid=self.paid, change=self.change, completed_at=at))

    # -- voids ---------------------------------------------------------------------------------
    def void(self, *, cashier: str, reason: str, at: datetime) -> OrderVoided | None:
        """End a till sale that was not completed. Its payments go back (the handler records them
        on the till's session); no stock was taken, as stock goes down only on completion.
        Voiding a voided sale again changes nothing."""
        if self.status == "voided":
            return None
        if self.kind != TILL or self.status != "placed":
            raise Conflict(f"Order {self.number} is {self.status}; only a till sale that is not completed can be "
                           "voided (refund a completed one).", code="NotVoidable")
        event = OrderVoided(order_id=self.uuid, number=self.number, store_code=self.store_code,
                            till_id=self.till_id, session_id=self.session_id, cashier=cashier,
                            reason=" ".join((reason or "").split())[:200], total=self.total,
                            returned=tuple(self.payments), voided_at=at, customer_id=self.customer_id,
                            points=self.points_paid)
        self._record(event)
        return event

    # -- the delivery saga ---------------------------------------------------------------------
    def confirm(self, at: datetime | None = None):
        if self.status in ("confirmed", "cancelled", "completed"):
            return  # a redelivered reply, or the order was cancelled first (catalog then releases)
        if self.kind != DELIVERY or self.status != "placed":
            raise Conflict(f"Order {self.number} is {self.status}; only a placed delivery order is confirmed.")
        self._record(OrderConfirmed(order_id=self.uuid))
        if self.total == 0:  # owes nothing: complete at once, as a till sale does
            self._complete(at or self.placed_at)

    def cancel(self, reasons: tuple[str, ...]):
        if self.status == "cancelled":
            return
        if self.kind != DELIVERY or self.status not in ("placed", "confirmed"):
            raise Conflict(f"Order {self.number} is {self.status}; only an unshipped, unpaid delivery order "
                           "can be cancelled.", code="NotCancellable")
        if self.paid > 0:
            raise Conflict(f"Order {self.number} has payments ({self.paid}); it cannot be cancelled.",
                           code="NotCancellable")
        self._record(OrderCancelled(order_id=self.uuid, reasons=tuple(reasons),
                                    was_confirmed=self.status == "confirmed"))

    def ship(self, at: datetime):
        if self.kind != DELIVERY:
            raise Conflict("A till sale is not shipped.", code="NotShippable")
        if self.status != "completed":
            raise Conflict(f"Order {self.number} is {self.status}; it ships once confirmed and fully paid.",
                           code="NotShippable")
        self._record(OrderShipped(order_id=self.uuid, shipped_at=at))

    # -- refunds -------------------------------------------------------------------------------
    def refund(self, *, refund_id: UUID, lines, method: str, cashier: str, reason: str, session_id, till_id,
               max_amount: Decimal | None, session_refunded: Decimal = ZERO,
               approved_by: str = "", tenders: Mapping[str, TenderRule] = BUILT_IN,
               point_value: Decimal | None = None) -> OrderRefunded | None:
        """`max_amount` is a cashier's limit, cumulative: what was refunded without a manager's
        approval on this order, and in the till session (`session_refunded`), plus this refund,
        must stay within it; above it a manager approves (`approved_by`)."""
        if refund_id in self.refund_ids:
            return None  # the same refund again: already done
        refundable = "completed" if self.kind == TILL else "shipped"
        if self.status != refundable:
            raise Conflict(f"Order {self.number} is {self.status}; only a {refundable} "
                           f"{'sale' if self.kind == TILL else 'delivery order'} can be refunded.",
                           code="NotRefundable")
        if not lines:
            raise DomainError("Name at least one line to refund.", field="lines")
        wanted: dict[int, int] = {}
        first_index: dict[int, int] = {}  # errors name the request's own index, not the sorted one
        for index, line in enumerate(lines):
            if line.line_no not in self.lines:
                raise DomainError(f"Order {self.number} has no line {line.line_no}.", field=f"lines.{index}.line_no")
            if line.quantity <= 0:
                raise DomainError("A refunded quantity is a whole number of at least 1.",
                                  field=f"lines.{index}.quantity")
            wanted[line.line_no] = wanted.get(line.line_no, 0) + line.quantity
            first_index.setdefault(line.line_no, index)
        refund_lines = []
        for line_no, quantity in sorted(wanted.items()):
            index = first_index[line_no]
            sold = self.lines[line_no]
            done_qty, done_amount, done_tax = self.refunded_lines.get(line_no, (0, ZERO, ZERO))
            if done_qty + quantity > sold.quantity:
                # More than was ever sold is bad input (422); what earlier refunds took back already
                # is a conflict with the order's state (409), e.g. the loser of two refunds at once.
                error = Conflict if quantity <= sold.quantity else DomainError
                raise error(f"Line {line_no} ({sold.name}): {sold.quantity} sold, {done_qty} already refunded; "
                            f"at most {sold.quantity - done_qty} more can be refunded.",
                            field=f"lines.{index}.quantity", code="RefundExceedsSale")
            amount, tax = refund_share(sold, quantity, done_qty, done_amount, done_tax)
            refund_lines.append(RefundLine(line_no=line_no, product_id=sold.product_id, quantity=quantity,
                                           amount=amount, tax=tax))
        total = sum((line.amount for line in refund_lines), ZERO)
        tax = sum((line.tax for line in refund_lines), ZERO)
        if max_amount is not None and not approved_by:
            on_order, in_session = self.unapproved_refunded + total, session_refunded + total
            if on_order > max_amount or in_session > max_amount:
                raise NeedsManager(f"A refund of {total} brings your refunds to {on_order} on this order and "
                                   f"{in_session} in this till session, above your limit of {max_amount}; "
                                   "a manager must approve it.")
        method = self._refund_method(method, total, tenders)
        points = 0
        if method == POINTS.code:  # within what points paid (checked above), so within the points spent
            points = min(Points(0, point_value or Decimal("0.01")).for_amount(total, "method"),
                         self.points_paid - self.points_refunded)
        event = OrderRefunded(order_id=self.uuid, refund_id=refund_id, customer_id=self.customer_id,
                              session_id=session_id, till_id=till_id, method=method, lines=tuple(refund_lines),
                              total=total, tax=tax, cashier=cashier, reason=(reason or "")[:200],
                              approved_by=approved_by, points=points)
        self._record(event)
        return event

    def refund_taxes(self, refund: OrderRefunded) -> tuple[TaxLine, ...]:
        """A refund's tax by rate, from its lines' rates: what a Z-report takes off each rate."""
        by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
        for line in refund.lines:
            rate = self.lines[line.line_no].tax_rate
            taxable, tax = by_rate.get(rate, (ZERO, ZERO))
            by_rate[rate] = (taxable + line.amount - line.tax, tax + line.tax)
        return tuple(TaxLine(rate=rate, taxable=taxable, tax=tax) for rate, (taxable, tax) in sorted(by_rate.items()))

    def _refund_method(self, method: str, total: Decimal, tenders: Mapping[str, TenderRule]) -> str:
        """Cash can always go back (the drawer permitting); any other tender at most what was paid
        by it: a card is refunded to the card, a voucher sale by a voucher."""
        if method == "original":
            used = sorted(m for m, paid in self.paid_by.items() if paid > 0)
            if len(used) != 1:
                raise DomainError(f"This order was paid by several methods ({', '.join(used)}); say which to refund "
                                  "by.", field="method", code="AmbiguousMethod")
            method = used[0]
        tender = tenders.get(method)
        if tender is None or not tender.active:
            raise DomainError(f"Refund by original or one of {', '.join(sorted(c for c, t in tenders.items() if t.active))}.",
                              field="method", code="UnknownTender")
        left = self.paid_by.get(method, ZERO) - self.refunded_by.get(method, ZERO)
        if method != CASH and total > left:
            raise DomainError(f"At most {left} can go back by {tender.name.lower()}; refund the rest in cash.",
                              field="method", code="CardRefundExceedsPayment" if method == CARD else "RefundExceedsTender")
        return method

    # -- personal data -------------------------------------------------------------------------
    def forget_address(self, requested_by: str, at: datetime) -> bool:
        """Erase the shipping address of an order naming no customer (its key is the order's own);
        False when it was forgotten already. A customer's addresses go with the customer."""
        if not self.has_address:
            raise Conflict(f"Order {self.number} has no shipping address.", code="AddressNotForgettable")
        if self.customer_id is not None:
            raise Conflict(f"Order {self.number}'s address belongs to customer {self.customer_id}: forget the "
                           "customer (POST /api/v1/customers/{id}/forget/) to erase it.",
                           field="customer_id", code="AddressNotForgettable")
        if self.address_forgotten:
            return False
        self._record(OrderAddressForgotten(order_id=self.uuid, requested_by=requested_by, forgotten_at=at))
        return True

    # -- state changes -------------------------------------------------------------------------
    def when_OrderAddressForgotten(self, e: OrderAddressForgotten):
        self.address_forgotten = True

    def when_OrderPlaced(self, e: OrderPlaced):
        self.number, self.kind, self.status, self.store_code = e.number, e.kind, "placed", e.store_code
        self.till_id, self.session_id, self.cashier, self.customer_id = e.till_id, e.session_id, e.cashier, e.customer_id
        self.lines = {line.line_no: line for line in e.lines}
        self.gross, self.discount_total, self.tax_total, self.total = e.gross, e.discount_total, e.tax_total, e.total
        self.taxes = e.taxes
        self.placed_at = e.placed_at
        self.has_address = e.ship_to is not None

    def when_PaymentRecorded(self, e: PaymentRecorded):
        self.paid += e.amount
        self.change += e.change
        self.paid_by[e.method] = self.paid_by.get(e.method, ZERO) + e.amount
        self.points_paid += e.points
        self.payments.append(ReturnedPayment(payment_id=e.payment_id, method=e.method, amount=e.amount))

    def when_OrderVoided(self, e):
        self.status = "voided"

    def when_OrderCompleted(self, e):
        self.status = "completed"

    def when_OrderConfirmed(self, e):
        self.status = "confirmed"

    def when_OrderCancelled(self, e):
        self.status = "cancelled"

    def when_OrderShipped(self, e):
        self.status = "shipped"

    def when_OrderRefunded(self, e: OrderRefunded):
        self.refund_ids.add(e.refund_id)
        self.refunds[e.refund_id] = e
        self.refunded_by[e.method] = self.refunded_by.get(e.method, ZERO) + e.total
        self.points_refunded += e.points
        if not e.approved_by:
            self.unapproved_refunded += e.total
        for line in e.lines:
            qty, amount, tax = self.refunded_lines.get(line.line_no, (0, ZERO, ZERO))
            self.refunded_lines[line.line_no] = (qty + line.quantity, amount + line.amount, tax + line.tax)

    def refund_state(self, refund_id: UUID) -> dict | None:
        """What one refund was: its lines, amount, tax, method, and who approved it."""
        e = self.refunds.get(refund_id)
        if e is None:
            return None
        return {"id": str(e.refund_id), "method": e.method, "total": str(e.total), "tax": str(e.tax),
                "cashier": e.cashier, "reason": e.reason, "approved_by": e.approved_by,
                "session_id": _s(e.session_id), "till_id": _s(e.till_id),
                "lines": [{"line_no": line.line_no, "product_id": str(line.product_id), "quantity": line.quantity,
                           "amount": str(line.amount), "tax": str(line.tax)} for line in e.lines]}

    def state(self) -> dict:
        return {
            "id": self.id, "version": self.version, "number": self.number, "kind": self.kind, "status": self.status,
            "store_code": self.store_code, "till_id": _s(self.till_id), "session_id": _s(self.session_id),
            "cashier": self.cashier, "customer_id": _s(self.customer_id),
            "lines": [{"line_no": line.line_no, "product_id": str(line.product_id), "sku": line.sku, "name": line.name,
                       "quantity": line.quantity, "unit_price": str(line.unit_price), "tax_rate": str(line.tax_rate),
                       "discount_percent": str(line.discount_percent), "gross": str(line.gross),
                       "discount": str(line.discount), "total": str(line.total), "tax": str(line.tax),
                       "refunded_quantity": self.refunded_lines.get(line.line_no, (0,))[0]}
                      for line in self.lines.values()],
            "gross": str(self.gross), "discount_total": str(self.discount_total),
            "subtotal": str(self.total - self.tax_total), "tax_total": str(self.tax_total), "total": str(self.total),
            "paid": str(self.paid), "change": str(self.change), "remaining": str(self.remaining),
            "refunded": str(sum(self.refunded_by.values(), ZERO)),
        }


def _s(value):
    return str(value) if value is not None else None
