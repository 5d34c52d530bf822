"""The sales read models, projected by consumer `sales` from the events of three contexts:

- `PriceListProjection` (catalog events) -> `PriceListEntry`: the prices the command side charges.
- `CustomerDirectoryProjection` (customers events) -> `CustomerDirectoryEntry`: names, existence.
- `TillsProjection` (sales: Till and TillSession streams) -> `TillView`, `TillSessionView`.
- `SalesOrdersProjection` (sales: Order streams; customers names) -> `OrderView`, `OrderLineView`,
  `PaymentView`, `RefundView`.

`envelope.data` is the JSON form of the event (decimals and UUIDs as strings, times ISO 8601).

Each row remembers the version of the stream it reflects, and an event at or below it changes
nothing. The inbox already applies each event once; the version check is what keeps a row right
when the same stream's event comes again under a new id (a replay over existing rows).

Events of *different* streams may arrive in any order (Kafka keeps order per stream only):
a session may be opened before its till's registration arrives, a sale may be placed before
the customer's registration arrives. Each such pair is reconciled whichever comes first.

Within one batch the subscribers run in registration order, so `register_projections()`
registers the customer directory before the orders (an order placed in the same batch as the
customer's registration finds the name).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from infrastructure.consumers.registry import register
from infrastructure.eventstore.envelope import Envelope
from infrastructure.projections.projection import Projection

from .models import (
    CustomerDirectoryEntry, OrderLineView, OrderView, PaymentView, PriceListEntry, RefundView, TillSessionView,
    TillView,
)

SALES, CATALOG, CUSTOMERS = "sales", "catalog", "customers"
ZERO = Decimal("0.00")


def _money(value) -> Decimal:
    return Decimal(str(value)) if value is not None else ZERO


def _time(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _save(row, e: Envelope, db: str, *, stamp: str | None = "updated_at", **changes) -> None:
    for key, value in changes.items():
        setattr(row, key, value)
    row.version = e.version
    if stamp:
        setattr(row, stamp, e.recorded_at)
    row.save(using=db)


class _Versioned(Projection):
    """Helpers for rows that track one stream (`row.version`)."""

    def _current(self, queryset, e: Envelope, what: str, **key):
        """The row to change (locked), or None when it already reflects this event."""
        row = queryset.select_for_update().filter(**key).first()
        if row is None:
            raise LookupError(f"{e.source_context}.{e.event_type} {e.event_id} for {what} {e.stream_id}, "
                              "which has no row: its first event was not applied before it")
        return row if e.version > row.version else None


# --- the catalog's prices ---------------------------------------------------------------------
class PriceListProjection(_Versioned):
    name = "price_list"
    consumer = SALES
    tables = (PriceListEntry,)
    subscriptions = {CATALOG: {"ProductCreated", "ProductDetailsUpdated", "ProductPriceChanged",
                               "ProductDiscontinued", "ProductReactivated"}}

    @property
    def rows(self):
        return PriceListEntry.objects.using(self.db)

    def _product(self, e: Envelope):
        return self._current(self.rows, e, "product", product_id=e.data["product_id"])

    def on_ProductCreated(self, e: Envelope):
        d = e.data
        if self.rows.filter(product_id=d["product_id"]).exists():
            return
        row = PriceListEntry(product_id=d["product_id"], sku=d["sku"], barcode=d.get("barcode"), name=d["name"],
                             unit_price=_money(d["unit_price"]), tax_rate=_money(d["tax_rate"]),
                             price_includes_tax=d["price_includes_tax"], active=True)
        _save(row, e, self.db)

    def on_ProductDetailsUpdated(self, e: Envelope):
        d = e.data
        if row := self._product(e):
            _save(row, e, self.db, sku=d["sku"], barcode=d.get("barcode"), name=d["name"],
                  tax_rate=_money(d["tax_rate"]), price_includes_tax=d["price_includes_tax"])

    def on_ProductPriceChanged(self, e: Envelope):
        if row := self._product(e):
            _save(row, e, self.db, unit_price=_money(e.data["new_price"]))

    def on_ProductDiscontinued(self, e: Envelope):
        if row := self._product(e):
            _save(row, e, self.db, active=False)

    def on_ProductReactivated(self, e: Envelope):
        if row := self._product(e):
            _save(row, e, self.db, active=True)


# --- the customers' names ---------------------------------------------------------------------
class CustomerDirectoryProjection(_Versioned):
    name = "customer_names"
    consumer = SALES
    tables = (CustomerDirectoryEntry,)
    subscriptions = {CUSTOMERS: {"CustomerRegistered", "CustomerUpdated", "CustomerRemoved"}}

    @property
    def rows(self):
        return CustomerDirectoryEntry.objects.using(self.db)

    def on_CustomerRegistered(self, e: Envelope):
        if not self.rows.filter(customer_id=e.data["customer_id"]).exists():
            _save(CustomerDirectoryEntry(customer_id=e.data["customer_id"], name=e.data["name"], active=True),
                  e, self.db)

    def on_CustomerUpdated(self, e: Envelope):
        # The event carries the full details, so a missing row can be written from it alone.
        row = self.rows.select_for_update().filter(customer_id=e.data["customer_id"]).first()
        if row is None:
            row = CustomerDirectoryEntry(customer_id=e.data["customer_id"], active=True, version=0)
        if e.version > row.version:
            _save(row, e, self.db, name=e.data["name"])

    def on_CustomerRemoved(self, e: Envelope):
        if row := self._current(self.rows, e, "customer", customer_id=e.data["customer_id"]):
            _save(row, e, self.db, active=False)


# --- tills and sessions -----------------------------------------------------------------------
class TillsProjection(_Versioned):
    name = "tills"
    consumer = SALES
    tables = (TillView, TillSessionView)
    subscriptions = {SALES: {"TillRegistered", "TillSessionOpened", "CashMovementRecorded", "SessionSaleRecorded",
                             "SessionPaymentRecorded", "SessionRefundRecorded", "SessionVoidRecorded",
                             "TillSessionClosed"}}

    @property
    def tills(self):
        return TillView.objects.using(self.db)

    @property
    def sessions(self):
        return TillSessionView.objects.using(self.db)

    def _session(self, e: Envelope):
        return self._current(self.sessions, e, "till session", session_id=e.data["session_id"])

    def on_TillRegistered(self, e: Envelope):
        d = e.data
        if self.tills.filter(till_id=d["till_id"]).exists():
            return
        # A session of this till may have arrived first (another stream): link it now.
        open_session = (self.sessions.filter(till_id=d["till_id"], status=TillSessionView.OPEN)
                        .order_by("-opened_at").values_list("session_id", flat=True).first())
        till = TillView(till_id=d["till_id"], name=d["name"], store_code=d["store_code"], store_name=d["store_name"],
                        open_session_id=open_session)
        _save(till, e, self.db, stamp="registered_at")
        self.sessions.filter(till_id=d["till_id"]).update(till_name=d["name"])

    def on_TillSessionOpened(self, e: Envelope):
        d = e.data
        if self.sessions.filter(session_id=d["session_id"]).exists():
            return
        till = self.tills.select_for_update().filter(till_id=d["till_id"]).first()
        opening_float = _money(d["opening_float"])
        session = TillSessionView(
            session_id=d["session_id"], till_id=d["till_id"], till_name=till.name if till else "",
            store_code=d["store_code"], cashier=d["cashier"], status=TillSessionView.OPEN,
            opening_float=opening_float, expected_cash=opening_float, opened_at=_time(d["opened_at"]))
        _save(session, e, self.db, stamp=None)
        if till is not None:
            till.open_session_id = d["session_id"]
            till.save(using=self.db, update_fields=["open_session_id"])

    def on_CashMovementRecorded(self, e: Envelope):
        if session := self._session(e):
            amount = _money(e.data["amount"])
            if amount > 0:
                session.cash_in += amount
            else:
                session.cash_out -= amount
            _save(session, e, self.db, stamp=None, expected_cash=session.expected_cash + amount)

    def on_SessionPaymentRecorded(self, e: Envelope):
        if session := self._session(e):
            self._take(session, e.data["method"], _money(e.data["amount"]))
            _save(session, e, self.db, stamp=None)

    def on_SessionSaleRecorded(self, e: Envelope):
        d = e.data
        if session := self._session(e):
            session.sales_count += 1
            session.gross += _money(d["gross"])
            session.discounts += _money(d["discount_total"])
            session.tax += _money(d["tax_total"])
            _save(session, e, self.db, stamp=None, net=session.gross - session.discounts - session.refunds)

    def on_SessionRefundRecorded(self, e: Envelope):
        if session := self._session(e):
            amount = _money(e.data["amount"])
            session.refund_count += 1
            session.refunds += amount
            self._take(session, e.data["method"], -amount)
            _save(session, e, self.db, stamp=None, net=session.gross - session.discounts - session.refunds)

    def on_SessionVoidRecorded(self, e: Envelope):
        if session := self._session(e):
            session.void_count += 1
            session.voids += _money(e.data["total"])
            for returned in e.data["returned"]:
                self._take(session, returned["method"], -_money(returned["amount"]))
            _save(session, e, self.db, stamp=None)

    @staticmethod
    def _take(session: TillSessionView, method: str, amount: Decimal) -> None:
        if method == "cash":
            session.expected_cash += amount
        else:
            session.expected_card += amount

    def on_TillSessionClosed(self, e: Envelope):
        d = e.data
        session = self._session(e)
        if session is None:
            return
        z = d["z_report"]
        methods = {m["method"]: m for m in z.get("methods", ())}
        cash = methods.get("cash", {})
        card = methods.get("card")
        # The Z-report is the final word: its figures replace the running ones.
        _save(session, e, self.db, stamp=None, status=TillSessionView.CLOSED, closed_at=_time(d["closed_at"]),
              z_report=z, sales_count=z["sales_count"], gross=_money(z["gross"]), discounts=_money(z["discounts"]),
              tax=_money(z["tax"]), refunds=_money(z["refunds"]), refund_count=z["refund_count"],
              void_count=z.get("void_count", 0), voids=_money(z.get("voids")),
              net=_money(z["net"]), opening_float=_money(z["opening_float"]), cash_in=_money(z["cash_in"]),
              cash_out=_money(z["cash_out"]), expected_cash=_money(cash.get("expected", session.expected_cash)),
              expected_card=_money(card["expected"]) if card else session.expected_card,
              counted_cash=_money(cash["counted"]) if "counted" in cash else None,
              cash_difference=_money(z["cash_difference"]))
        self.tills.filter(till_id=d["till_id"], open_session_id=d["session_id"]).update(open_session_id=None)


# --- orders -----------------------------------------------------------------------------------
def _line(order_id, d: dict) -> OrderLineView:
    return OrderLineView(order_id=order_id, line_no=d["line_no"], product_id=d["product_id"], sku=d["sku"],
                         name=d["name"], quantity=d["quantity"], unit_price=_money(d["unit_price"]),
                         price_includes_tax=d.get("price_includes_tax", True), tax_rate=_money(d["tax_rate"]),
                         discount_percent=_money(d.get("discount_percent")), gross=_money(d["gross"]),
                         discount=_money(d["discount"]), total=_money(d["total"]), tax=_money(d["tax"]))


class SalesOrdersProjection(_Versioned):
    name = "orders"
    consumer = SALES
    tables = (OrderView, OrderLineView, PaymentView, RefundView)
    subscriptions = {
        SALES: {"OrderPlaced", "OrderConfirmed", "OrderCancelled", "PaymentRecorded", "OrderCompleted",
                "OrderShipped", "OrderRefunded", "OrderVoided"},
        # Orders show the customer's current name, whichever of the order and the name came first.
        CUSTOMERS: {"CustomerRegistered", "CustomerUpdated"},
    }

    @property
    def orders(self):
        return OrderView.objects.using(self.db)

    @property
    def lines(self):
        return OrderLineView.objects.using(self.db)

    def _order(self, e: Envelope):
        return self._current(self.orders, e, "order", order_id=e.data["order_id"])

    def _customer_name(self, customer_id) -> str:
        if not customer_id:
            return ""
        return (CustomerDirectoryEntry.objects.using(self.db).filter(customer_id=customer_id)
                .values_list("name", flat=True).first() or "")

    # -- customers' names ----------------------------------------------------------------------
    def on_CustomerRegistered(self, e: Envelope):
        # The directory (applied first, version-checked) has the current name; a stale event
        # published again must not bring an old name back.
        name = self._customer_name(e.data["customer_id"]) or e.data["name"]
        self.orders.filter(customer_id=e.data["customer_id"]).exclude(customer_name=name).update(customer_name=name)

    on_CustomerUpdated = on_CustomerRegistered

    # -- the order's life ----------------------------------------------------------------------
    def on_OrderPlaced(self, e: Envelope):
        d = e.data
        if self.orders.filter(order_id=d["order_id"]).exists():
            return
        order = OrderView(
            order_id=d["order_id"], number=d["number"], kind=d["kind"], status=OrderView.PLACED,
            store_code=d["store_code"], till_id=d.get("till_id"), session_id=d.get("session_id"), cashier=d["cashier"],
            customer_id=d.get("customer_id"), customer_name=self._customer_name(d.get("customer_id")),
            gross=_money(d["gross"]), discount_total=_money(d["discount_total"]), subtotal=_money(d["subtotal"]),
            tax_total=_money(d["tax_total"]), total=_money(d["total"]), taxes=d.get("taxes") or [],
            placed_at=_time(d["placed_at"]), ship_to=d.get("ship_to"))
        _save(order, e, self.db)
        self.lines.bulk_create([_line(d["order_id"], line) for line in d["lines"]])

    def on_OrderConfirmed(self, e: Envelope):
        if order := self._order(e):
            _save(order, e, self.db, status=OrderView.CONFIRMED, confirmed_at=e.recorded_at)

    def on_OrderCancelled(self, e: Envelope):
        if order := self._order(e):
            _save(order, e, self.db, status=OrderView.CANCELLED, cancelled_at=e.recorded_at,
                  cancelled_reasons=list(e.data.get("reasons") or []))

    def on_PaymentRecorded(self, e: Envelope):
        d = e.data
        if order := self._order(e):
            change = _money(d["change"])
            PaymentView.objects.using(self.db).update_or_create(payment_id=d["payment_id"], defaults={
                "order_id": d["order_id"], "method": d["method"], "amount": _money(d["amount"]),
                "tendered": _money(d["tendered"]), "change": change, "session_id": d.get("session_id"),
                "recorded_at": e.recorded_at})
            _save(order, e, self.db, paid=_money(d["paid_total"]), change=order.change + change)

    def on_OrderCompleted(self, e: Envelope):
        d = e.data
        if order := self._order(e):
            _save(order, e, self.db, status=OrderView.COMPLETED, completed_at=_time(d["completed_at"]),
                  paid=_money(d["paid"]), change=_money(d["change"]))

    def on_OrderVoided(self, e: Envelope):
        if order := self._order(e):
            _save(order, e, self.db, status=OrderView.VOIDED, voided_at=_time(e.data["voided_at"]))

    def on_OrderShipped(self, e: Envelope):
        if order := self._order(e):
            _save(order, e, self.db, status=OrderView.SHIPPED, shipped_at=_time(e.data["shipped_at"]))

    def on_OrderRefunded(self, e: Envelope):
        d = e.data
        order = self._order(e)
        if order is None:
            return
        lines = {line.line_no: line for line in self.lines.select_for_update().filter(order_id=d["order_id"])}
        refunded = []
        for item in d["lines"]:
            line = lines.get(item["line_no"])
            if line is not None:
                line.refunded_quantity += item["quantity"]
                line.refunded_amount += _money(item["amount"])
                line.save(using=self.db, update_fields=["refunded_quantity", "refunded_amount"])
            refunded.append({**item, "sku": line.sku if line else "", "name": line.name if line else ""})
        RefundView.objects.using(self.db).update_or_create(refund_id=d["refund_id"], defaults={
            "order_id": d["order_id"], "method": d["method"], "total": _money(d["total"]), "tax": _money(d["tax"]),
            "session_id": d.get("session_id"), "till_id": d.get("till_id"), "cashier": d.get("cashier") or "",
            "reason": (d.get("reason") or "")[:200], "lines": refunded, "recorded_at": e.recorded_at})
        if all(line.refunded_quantity >= line.quantity for line in lines.values()):
            refund_status = OrderView.FULLY_REFUNDED
        else:
            refund_status = OrderView.PARTLY_REFUNDED
        _save(order, e, self.db, refunded_total=order.refunded_total + _money(d["total"]),
              refund_status=refund_status)


def projections() -> list[Projection]:
    """The sales read side's projections, in the order they must run within a batch."""
    return [PriceListProjection(), CustomerDirectoryProjection(), TillsProjection(), SalesOrdersProjection()]


def register_projections() -> list[Projection]:
    """Register every projection of the sales read side with the `sales` consumer (call it from
    `SalesConfig.ready()`). Idempotent: registering again replaces the same instances."""
    return [register(projection) for projection in projections()]
