"""The sales read models, projected by consumer `sales` from the events of three contexts:

- `PriceListProjection` (catalog events) -> `PriceListEntry`: the prices the command side charges.
- `CustomerDirectoryProjection` (customers events) -> `CustomerDirectoryEntry`: names, existence.
- `StoreDetailsProjection` (stores events) -> `StoreDetails`: what receipts print, the time zone.
- `TendersProjection` (sales: Tender streams) -> `TenderView`: the shop's own ways to pay.
- `TillsProjection` (sales: Till and TillSession streams) -> `TillView`, `TillSessionView` (the
  published Z-report once closed; an open session's running figures are its drawer's).
- `SalesOrdersProjection` (sales: Order streams; customers names) -> `OrderView`, `OrderLineView`,
  `PaymentView`, `RefundView`.

`envelope.data` is the JSON form of the event (decimals and UUIDs as strings, times ISO 8601).

Each row remembers the version of the stream it reflects, and an event at or below it changes
nothing. The inbox already applies each event once; the version check is what keeps a row right
when the same stream's event comes again under a new id (a replay over existing rows).

Events of *different* streams may arrive in any order (Kafka keeps order per stream only):
a session may be opened before its till's registration arrives, a sale may be placed before
the customer's registration arrives. Each such pair is reconciled whichever comes first.

Customers' details events carry the personal fields sealed, and so does a delivery order's
`OrderPlaced` its shipping address; they are read opened (`e.opened()`), and open as erased once
the key was destroyed (docs/personal-data.md). `CustomerForgotten` erases the customer's name and
their orders' addresses here too, `OrderAddressForgotten` one order's address, so live
consumption and a rebuild end the same.

Within one batch the subscribers run in registration order, so `register_projections()`
registers the customer directory before the orders (an order placed in the same batch as the
customer's registration finds the name).
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from infrastructure.consumers.registry import register
from infrastructure.eventstore.envelope import Envelope
from infrastructure.projections.projection import Projection
from infrastructure.projections.values import money, utc
from kernel.values import ERASED

from .models import (
    CustomerDirectoryEntry, OrderLineView, OrderView, PaymentView, PriceListCategory, PriceListEntry, RefundView,
    StoreDetails, TenderView, TillSessionView, TillView,
)
from .sealing import erased

SALES, CATALOG, CUSTOMERS, STORES = "sales", "catalog", "customers", "stores"


# --- the stores' details ----------------------------------------------------------------------
def _store_details(data: dict) -> dict:  # as stores reads its own events: sales keeps its copy, never stores' tables
    address = data["address"]
    return {"name": data["name"], "tax_id": data["tax_id"], "time_zone": data["time_zone"],
            "receipt_header": data.get("receipt_header") or "", "receipt_footer": data.get("receipt_footer") or "",
            **{f"address_{key}": address.get(key) or "" for key in ("line1", "line2", "city", "postal_code", "country")}}


class StoreDetailsProjection(Projection):
    name = "sales_store_details"
    consumer = SALES
    tables = (StoreDetails,)
    subscriptions = {STORES: {"StoreRegistered", "StoreUpdated", "StoreClosed", "StoreReopened"}}

    @property
    def rows(self):
        return StoreDetails.objects.using(self.db)

    def on_StoreRegistered(self, e: Envelope):
        if not self.rows.filter(code=e.data["code"]).exists():
            self.save_row(StoreDetails(code=e.data["code"], is_open=True, **_store_details(e.data)), e)

    def on_StoreUpdated(self, e: Envelope):
        if row := self.current_row(self.rows, e, code=e.data["code"]):
            self.save_row(row, e, **_store_details(e.data))

    def on_StoreClosed(self, e: Envelope):
        if row := self.current_row(self.rows, e, code=e.data["code"]):
            self.save_row(row, e, is_open=False)

    def on_StoreReopened(self, e: Envelope):
        if row := self.current_row(self.rows, e, code=e.data["code"]):
            self.save_row(row, e, is_open=True)


# --- tenders ----------------------------------------------------------------------------------
class TendersProjection(Projection):
    name = "tenders"
    consumer = SALES
    tables = (TenderView,)
    subscriptions = {SALES: {"TenderDefined", "TenderChanged", "TenderRetired", "TenderReinstated"}}

    @property
    def rows(self):
        return TenderView.objects.using(self.db)

    def on_TenderDefined(self, e: Envelope):
        d = e.data
        if not self.rows.filter(code=d["code"]).exists():
            self.save_row(TenderView(code=d["code"], name=d["name"], gives_change=d["gives_change"],
                                     needs_reference=d["needs_reference"], active=True, defined_at=e.recorded_at), e)

    def on_TenderChanged(self, e: Envelope):
        d = e.data
        if row := self.current_row(self.rows, e, code=d["code"]):
            self.save_row(row, e, name=d["name"], gives_change=d["gives_change"], needs_reference=d["needs_reference"])

    def on_TenderRetired(self, e: Envelope):
        if row := self.current_row(self.rows, e, code=e.data["code"]):
            self.save_row(row, e, active=False)

    def on_TenderReinstated(self, e: Envelope):
        if row := self.current_row(self.rows, e, code=e.data["code"]):
            self.save_row(row, e, active=True)


# --- the catalog's prices ---------------------------------------------------------------------
class PriceListProjection(Projection):
    name = "price_list"
    consumer = SALES
    tables = (PriceListEntry, PriceListCategory)
    subscriptions = {CATALOG: {"ProductCreated", "ProductDetailsUpdated", "ProductPriceChanged",
                               "ProductDiscontinued", "ProductReactivated",
                               "CategoryCreated", "CategoryRenamed", "CategoryDeleted"}}

    @property
    def rows(self):
        return PriceListEntry.objects.using(self.db)

    @property
    def categories(self):
        return PriceListCategory.objects.using(self.db)

    def save_row(self, row, e, **changes) -> None:
        if isinstance(row, PriceListEntry):
            changes["changed_at"] = timezone.now()  # what a till's `?since=` compares with
        super().save_row(row, e, **changes)

    def on_CategoryCreated(self, e: Envelope):
        if not self.categories.filter(category_id=e.data["category_id"]).exists():
            self.save_row(PriceListCategory(category_id=e.data["category_id"], name=e.data["name"]), e)

    def on_CategoryRenamed(self, e: Envelope):
        if row := self.current_row(self.categories, e, category_id=e.data["category_id"]):
            self.save_row(row, e, name=e.data["name"])

    def on_CategoryDeleted(self, e: Envelope):
        if row := self.current_row(self.categories, e, category_id=e.data["category_id"]):
            self.save_row(row, e, active=False)

    def _product(self, e: Envelope):
        return self.current_row(self.rows, e, product_id=e.data["product_id"])

    def on_ProductCreated(self, e: Envelope):
        d = e.data
        if self.rows.filter(product_id=d["product_id"]).exists():
            return
        row = PriceListEntry(product_id=d["product_id"], sku=d["sku"], barcode=d.get("barcode"), name=d["name"],
                             category_id=d.get("category_id"),
                             unit_price=money(d["unit_price"]), tax_rate=money(d["tax_rate"]),
                             price_includes_tax=d["price_includes_tax"], active=True)
        self.save_row(row, e)

    def on_ProductDetailsUpdated(self, e: Envelope):
        d = e.data
        if row := self._product(e):
            self.save_row(row, e, sku=d["sku"], barcode=d.get("barcode"), name=d["name"],
                          category_id=d.get("category_id"), tax_rate=money(d["tax_rate"]), price_includes_tax=d["price_includes_tax"])

    def on_ProductPriceChanged(self, e: Envelope):
        if row := self._product(e):
            self.save_row(row, e, unit_price=money(e.data["new_price"]))

    def on_ProductDiscontinued(self, e: Envelope):
        if row := self._product(e):
            self.save_row(row, e, active=False)

    def on_ProductReactivated(self, e: Envelope):
        if row := self._product(e):
            self.save_row(row, e, active=True)


# --- the customers' names ---------------------------------------------------------------------
class CustomerDirectoryProjection(Projection):
    name = "customer_names"
    consumer = SALES
    tables = (CustomerDirectoryEntry,)
    subscriptions = {CUSTOMERS: {"CustomerRegistered", "CustomerUpdated", "CustomerRemoved", "CustomerForgotten",
                                 "LoyaltyPointsEarned", "LoyaltyPointsReversed"}}

    @property
    def rows(self):
        return CustomerDirectoryEntry.objects.using(self.db)

    def on_LoyaltyPointsEarned(self, e: Envelope):
        if row := self.current_row(self.rows, e, customer_id=e.data["customer_id"]):
            self.save_row(row, e, points_earned=row.points_earned + e.data["points"])

    def on_LoyaltyPointsReversed(self, e: Envelope):
        if row := self.current_row(self.rows, e, customer_id=e.data["customer_id"]):
            self.save_row(row, e, points_earned=row.points_earned - e.data["points"])

    def on_CustomerRegistered(self, e: Envelope):
        if not self.rows.filter(customer_id=e.data["customer_id"]).exists():
            self.save_row(CustomerDirectoryEntry(customer_id=e.data["customer_id"], name=e.opened().data["name"],
                                                 active=True), e)

    def on_CustomerUpdated(self, e: Envelope):
        # The event carries the full details, so a missing row can be written from it alone.
        row = self.rows.select_for_update().filter(customer_id=e.data["customer_id"]).first()
        if row is None:
            row = CustomerDirectoryEntry(customer_id=e.data["customer_id"], active=True, version=0)
        if e.version > row.version:
            self.save_row(row, e, name=e.opened().data["name"])

    def on_CustomerRemoved(self, e: Envelope):
        if row := self.current_row(self.rows, e, customer_id=e.data["customer_id"]):
            self.save_row(row, e, active=False)

    def on_CustomerForgotten(self, e: Envelope):
        # Like an update to an erased name; a missing row is written, so a later order finds it.
        row = self.rows.select_for_update().filter(customer_id=e.data["customer_id"]).first()
        if row is None:
            row = CustomerDirectoryEntry(customer_id=e.data["customer_id"], version=0)
        if e.version > row.version:
            self.save_row(row, e, name=ERASED, active=False)


# --- tills and sessions -----------------------------------------------------------------------
class TillsProjection(Projection):
    name = "tills"
    consumer = SALES
    tables = (TillView, TillSessionView)
    # An open session's running figures are its drawer's (the command side's row, read by the API
    # at request time: api/views.py); once closed, its published Z-report's. Nothing here adds
    # them up: cash movements, and the `Session*Recorded` events of older streams, are not needed.
    subscriptions = {SALES: {"TillRegistered", "TillSessionOpened", "TillSessionClosed"}}

    @property
    def tills(self):
        return TillView.objects.using(self.db)

    @property
    def sessions(self):
        return TillSessionView.objects.using(self.db)

    def _session(self, e: Envelope):
        return self.current_row(self.sessions, e, session_id=e.data["session_id"])

    def on_TillRegistered(self, e: Envelope):
        d = e.data
        if self.tills.filter(till_id=d["till_id"]).exists():
            return
        # A session of this till may have arrived first (another stream): link it now.
        open_session = (self.sessions.filter(till_id=d["till_id"], status=TillSessionView.OPEN)
                        .order_by("-opened_at").values_list("session_id", flat=True).first())
        till = TillView(till_id=d["till_id"], name=d["name"], store_code=d["store_code"], store_name=d["store_name"],
                        open_session_id=open_session)
        self.save_row(till, e, stamp="registered_at")
        self.sessions.filter(till_id=d["till_id"]).update(till_name=d["name"])

    def on_TillSessionOpened(self, e: Envelope):
        d = e.data
        if self.sessions.filter(session_id=d["session_id"]).exists():
            return
        till = self.tills.select_for_update().filter(till_id=d["till_id"]).first()
        opening_float = money(d["opening_float"])
        session = TillSessionView(
            session_id=d["session_id"], till_id=d["till_id"], till_name=till.name if till else "",
            store_code=d["store_code"], cashier=d["cashier"], status=TillSessionView.OPEN,
            opening_float=opening_float, expected_cash=opening_float, opened_at=utc(d["opened_at"]))
        self.save_row(session, e, stamp=None)
        if till is not None:
            till.open_session_id = d["session_id"]
            till.save(using=self.db, update_fields=["open_session_id"])

    def on_TillSessionClosed(self, e: Envelope):
        d = e.data
        session = self._session(e)
        if session is None:
            return
        z = d["z_report"]
        methods = {m["method"]: m for m in z.get("methods", ())}
        cash = methods.get("cash", {})
        card = methods.get("card")
        # The Z-report, computed once by the command side at the close, is stored as published.
        self.save_row(session, e, stamp=None, status=TillSessionView.CLOSED, closed_at=utc(d["closed_at"]),
              z_report=z, sales_count=z["sales_count"], gross=money(z["gross"]), discounts=money(z["discounts"]),
              tax=money(z["tax"]), refunds=money(z["refunds"]), refund_count=z["refund_count"],
              void_count=z.get("void_count", 0), voids=money(z.get("voids")),
              net=money(z["net"]), opening_float=money(z["opening_float"]), cash_in=money(z["cash_in"]),
              cash_out=money(z["cash_out"]), expected_cash=money(cash.get("expected", session.expected_cash)),
              expected_card=money(card["expected"]) if card else session.expected_card,
              counted_cash=money(cash["counted"]) if "counted" in cash else None,
              cash_difference=money(z["cash_difference"]))
        self.tills.filter(till_id=d["till_id"], open_session_id=d["session_id"]).update(open_session_id=None)


# --- orders -----------------------------------------------------------------------------------
def _line(order_id, d: dict) -> OrderLineView:
    return OrderLineView(order_id=order_id, line_no=d["line_no"], product_id=d["product_id"], sku=d["sku"],
                         name=d["name"], quantity=d["quantity"], unit_price=money(d["unit_price"]),
                         price_includes_tax=d.get("price_includes_tax", True), tax_rate=money(d["tax_rate"]),
                         discount_percent=money(d.get("discount_percent")), gross=money(d["gross"]),
                         discount=money(d["discount"]), total=money(d["total"]), tax=money(d["tax"]))


_PAYMENT_FIELDS = ["order_id", "method", "amount", "tendered", "change", "session_id", "reference", "recorded_at",
                   "stream_version"]


class SalesOrdersProjection(Projection):
    name = "orders"
    consumer = SALES
    tables = (OrderView, OrderLineView, PaymentView, RefundView)
    subscriptions = {
        SALES: {"OrderPlaced", "OrderConfirmed", "OrderCancelled", "PaymentRecorded", "OrderCompleted",
                "OrderShipped", "OrderRefunded", "OrderVoided", "OrderAddressForgotten"},
        # Orders show the customer's current name, whichever of the order and the name came first.
        CUSTOMERS: {"CustomerRegistered", "CustomerUpdated", "CustomerForgotten"},
    }

    @property
    def orders(self):
        return OrderView.objects.using(self.db)

    @property
    def lines(self):
        return OrderLineView.objects.using(self.db)

    def _order(self, e: Envelope):
        return self.current_row(self.orders, e, order_id=e.data["order_id"])

    def _customer_name(self, customer_id) -> str:
        if not customer_id:
            return ""
        return (CustomerDirectoryEntry.objects.using(self.db).filter(customer_id=customer_id)
                .values_list("name", flat=True).first() or "")

    # -- customers' names ----------------------------------------------------------------------
    def on_CustomerRegistered(self, e: Envelope):
        # The directory (applied first, version-checked) has the current name; a stale event
        # published again must not bring an old name back.
        name = self._customer_name(e.data["customer_id"]) or e.opened().data["name"]
        self.orders.filter(customer_id=e.data["customer_id"]).exclude(customer_name=name).update(customer_name=name)

    on_CustomerUpdated = on_CustomerRegistered

    def on_CustomerForgotten(self, e: Envelope):
        orders = self.orders.filter(customer_id=e.data["customer_id"])
        orders.exclude(customer_name=ERASED).update(customer_name=ERASED)
        orders.filter(ship_to__isnull=False).update(ship_to=erased())

    # -- the order's life ----------------------------------------------------------------------
    def on_OrderPlaced(self, e: Envelope):
        d = e.data
        if self.orders.filter(order_id=d["order_id"]).exists():
            return
        order = OrderView(
            order_id=d["order_id"], number=d["number"], kind=d["kind"], status=OrderView.PLACED,
            store_code=d["store_code"], till_id=d.get("till_id"), session_id=d.get("session_id"), cashier=d["cashier"],
            customer_id=d.get("customer_id"), customer_name=self._customer_name(d.get("customer_id")),
            gross=money(d["gross"]), discount_total=money(d["discount_total"]), subtotal=money(d["subtotal"]),
            tax_total=money(d["tax_total"]), total=money(d["total"]), taxes=d.get("taxes") or [],
            placed_at=utc(d["placed_at"]), ship_to=e.opened().data["ship_to"] if d.get("ship_to") else None)
        self.save_row(order, e)
        self.lines.bulk_create([_line(d["order_id"], line) for line in d["lines"]])

    def _update_order(self, e: Envelope, **changes) -> bool:
        return self.update_row(self.orders, e, {"order_id": e.data["order_id"]}, **changes)

    def on_OrderConfirmed(self, e: Envelope):
        self._update_order(e, status=OrderView.CONFIRMED, confirmed_at=e.recorded_at)

    def on_OrderCancelled(self, e: Envelope):
        self._update_order(e, status=OrderView.CANCELLED, cancelled_at=e.recorded_at,
                           cancelled_reasons=list(e.data.get("reasons") or []))

    def on_PaymentRecorded(self, e: Envelope):
        d = e.data
        change = money(d["change"])
        if self._update_order(e, paid=money(d["paid_total"]), change=F("change") + change):
            PaymentView.objects.using(self.db).bulk_create([PaymentView(
                payment_id=d["payment_id"], order_id=d["order_id"], method=d["method"], amount=money(d["amount"]),
                tendered=money(d["tendered"]), change=change, session_id=d.get("session_id"),
                reference=d.get("reference") or "", recorded_at=e.recorded_at, stream_version=e.version)],
                update_conflicts=True, unique_fields=["payment_id"], update_fields=_PAYMENT_FIELDS)

    def on_OrderCompleted(self, e: Envelope):
        d = e.data
        self._update_order(e, status=OrderView.COMPLETED, completed_at=utc(d["completed_at"]),
                           paid=money(d["paid"]), change=money(d["change"]))

    def on_OrderVoided(self, e: Envelope):
        self._update_order(e, status=OrderView.VOIDED, voided_at=utc(e.data["voided_at"]))

    def on_OrderAddressForgotten(self, e: Envelope):
        if order := self._order(e):
            self.save_row(order, e, ship_to=erased() if order.ship_to is not None else None)

    def on_OrderShipped(self, e: Envelope):
        self._update_order(e, status=OrderView.SHIPPED, shipped_at=utc(e.data["shipped_at"]))

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
                line.refunded_amount += money(item["amount"])
                line.save(using=self.db, update_fields=["refunded_quantity", "refunded_amount"])
            refunded.append({**item, "sku": line.sku if line else "", "name": line.name if line else ""})
        RefundView.objects.using(self.db).update_or_create(refund_id=d["refund_id"], defaults={
            "order_id": d["order_id"], "method": d["method"], "total": money(d["total"]), "tax": money(d["tax"]),
            "session_id": d.get("session_id"), "till_id": d.get("till_id"), "cashier": d.get("cashier") or "",
            "reason": (d.get("reason") or "")[:200], "lines": refunded, "recorded_at": e.recorded_at})
        if all(line.refunded_quantity >= line.quantity for line in lines.values()):
            refund_status = OrderView.FULLY_REFUNDED
        else:
            refund_status = OrderView.PARTLY_REFUNDED
        self.save_row(order, e, refunded_total=order.refunded_total + money(d["total"]),
              refund_status=refund_status)


def projections() -> list[Projection]:
    """The sales read side's projections, in the order they must run within a batch."""
    return [StoreDetailsProjection(), TendersProjection(), PriceListProjection(), CustomerDirectoryProjection(), TillsProjection(),
            SalesOrdersProjection()]


def register_projections() -> list[Projection]:
    """Register every projection of the sales read side with the `sales` consumer (call it from
    `SalesConfig.ready()`). Idempotent: registering again replaces the same instances."""
    return [register(projection) for projection in projections()]
