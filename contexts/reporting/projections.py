"""The reporting read models, projected by consumer `reporting` from sales and catalog events.

- `StoreCalendarProjection` (stores: `StoreRegistered`, `StoreUpdated`) -> `StoreEntry`: each
  store's time zone, so days and hours are the store's local ones (`store_calendar.py`).
- `CatalogDirectoryProjection` (catalog: categories, products, stock) -> `CategoryEntry`, `ProductEntry`,
  `StockEntry` (per product per store).
- `SalesFiguresProjection` (sales: `PaymentRecorded`, `OrderCompleted`, `OrderRefunded`) -> the daily
  roll-ups by store, hour, cashier, product and payment method, and their fact rows.
- `TillSessionsProjection` (sales: till and session streams) -> `TillEntry`, `TillSessionReport`,
  `TillSessionMethod`: each session's float and cash movements, and the Z-report sales published
  at its close, stored as published.

`envelope.data` is the event's JSON form (decimals and UUIDs as strings, times ISO 8601 UTC),
shaped by the publisher's schema (`contexts/<ctx>/schemas/`); nothing here imports another
context's code.

Every projection handles a whole batch at once (a live batch, or 2000 inbox rows of a rebuild):
it reads the rows the batch touches in one query, changes them in memory and writes them back
in a few statements, so a rebuild runs at thousands of events per second.

Exactly once, twice over: the inbox hands each event id over once; and a fact published again
under a new id changes nothing either: directory and session rows remember the stream version
they reflect (an event at or below it is skipped), and sales figures are added only when their
fact row (order id, refund id) is new.

Order between streams is not guaranteed (Kafka orders one stream's events only), so no
projection here depends on another stream having arrived (the one exception, a store's time zone,
falls back to UTC and is explained in `store_calendar.py`): a refund finds its order's store in
`CompletedSale` (same order stream, so the completion came first); categories and current
product names are joined when a report is read, not copied when a sale is projected.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from infrastructure.eventstore.envelope import Envelope
from infrastructure.projections.projection import Projection
from infrastructure.projections.values import ZERO, money, utc, uuid_or_none

from .models import (
    CashierSales, CategoryEntry, CompletedSale, DailySales, HourlySales, Payment, PaymentMethodSales, ProductEntry,
    ProductSales, Refund, StockEntry, TaxRateSales, TillEntry, TillSessionMethod, TillSessionReport,
)
from .sql import Rollup, insert_new
from .store_calendar import StoreCalendarProjection, local, zones_of

REPORTING, SALES, CATALOG = "reporting", "sales", "catalog"


class _Rows:
    """The rows of one table that a batch touches: read once (locked), changed in memory,
    written back with one bulk insert and one bulk upsert."""

    def __init__(self, model, db: str, keys, key=lambda row: row.pk, **lookup):
        self.model, self.db, self.key = model, db, key
        queryset = model.objects.using(db).select_for_update().filter(**lookup).order_by("pk") if keys else []
        self.rows = {key(row): row for row in queryset}
        self.new: dict = {}
        self.dirty: set = set()

    def get(self, key):
        return self.rows.get(key)

    def add(self, row) -> None:
        key = self.key(row)
        self.rows[key] = self.new[key] = row

    def changed(self, row) -> None:
        key = self.key(row)
        if key not in self.new:
            self.dirty.add(key)

    def save(self, fields) -> None:
        if self.new:
            self.model.objects.using(self.db).bulk_create(list(self.new.values()), batch_size=500)
        if self.dirty:
            # The changed rows exist (read above, locked): INSERT ... ON CONFLICT (pk) DO UPDATE
            # writes them back. Not bulk_update: its CASE WHEN per row and field took half of
            # the reporting consumer's CPU (py-spy, docs/benchmarks.md) and delayed the read models.
            pk = self.model._meta.pk.name
            self.model.objects.using(self.db).bulk_create(
                [self.rows[k] for k in self.dirty], batch_size=500, update_conflicts=True, unique_fields=[pk],
                update_fields=[f for f in fields if f != pk])


def _missing(e: Envelope, what: str):
    return LookupError(f"{e.source_context}.{e.event_type} {e.event_id} for {what} {e.stream_id}, which has no row: "
                       "its first event was not applied before it")


# --- the catalog directory -----------------------------------------------------------------------
_CATEGORY_EVENTS = {"CategoryCreated", "CategoryRenamed", "CategoryDeleted"}
_PRODUCT_EVENTS = {"ProductCreated", "ProductDetailsUpdated", "ProductPriceChanged", "ProductCostPriceChanged",
                   "ProductDiscontinued", "ProductReactivated"}
_STOCK_EVENTS = {"StockReceived", "StockAdjusted", "StockSold", "StockReturned", "ProductStockReserved",
                 "ProductReservationReleased", "ReservedStockShipped", "StockCarriedOver",
                 "StoreLowStockThresholdSet", "StockTransferredOut", "StockTransferredIn"}
_PRODUCT_FIELDS = ["sku", "name", "category_id", "unit_price", "cost_price", "tax_rate", "price_includes_tax",
                   "status", "on_hand", "reserved", "low_stock_threshold", "version", "updated_at"]
_STOCK_FIELDS = ["on_hand", "reserved", "average_cost", "low_stock_threshold", "version"]


class CatalogDirectoryProjection(Projection):
    """Products (current sku, name, category, price, stock) and category names, and stock per
    store. Stock figures are the events' own `on_hand_after` / `reserved_after`, so a movement
    sets a store's figures, never adds; the product's are the sums over its stores, moved by the
    difference. A store's stock stream and its product's stream may arrive in either order:
    a product row created after its stock sums what is there.

    Movements recorded on the product's stream before stock per store (the legacy store's, see
    contexts/catalog/legacy_stock.py) are applied by the product stream's version; once the
    store's own stream has spoken (its `StockCarriedOver` states the same figures), they are not."""

    name = "directory"
    consumer = REPORTING
    tables = (CategoryEntry, ProductEntry, StockEntry)
    subscriptions = {CATALOG: _CATEGORY_EVENTS | _PRODUCT_EVENTS | _STOCK_EVENTS}

    def handle(self, envelopes: list[Envelope]) -> None:
        category_ids = {uuid_or_none(e.data["category_id"]) for e in envelopes if e.event_type in _CATEGORY_EVENTS}
        product_ids = {uuid_or_none(e.data["product_id"]) for e in envelopes if e.event_type not in _CATEGORY_EVENTS}
        categories = _Rows(CategoryEntry, self.db, category_ids, category_id__in=category_ids)
        products = _Rows(ProductEntry, self.db, product_ids, product_id__in=product_ids)
        stock = _Rows(StockEntry, self.db, product_ids, key=lambda row: (row.product_id, row.store_code),
                      product_id__in=product_ids)
        for e in envelopes:
            if e.event_type in _CATEGORY_EVENTS:
                self._category(categories, e)
            elif e.event_type in _STOCK_EVENTS:
                self._stock(products, stock, e)
            else:
                self._product(products, stock, e)
        categories.save(["name", "deleted", "version"])
        products.save(_PRODUCT_FIELDS)
        stock.save(_STOCK_FIELDS)

    @staticmethod
    def _category(rows: _Rows, e: Envelope) -> None:
        d = e.data
        key = uuid_or_none(d["category_id"])
        row = rows.get(key)
        if e.event_type == "CategoryCreated":
            if row is None:
                rows.add(CategoryEntry(category_id=key, name=d["name"], version=e.version))
            return
        if row is None:
            raise _missing(e, "category")
        if e.version <= row.version:
            return
        if e.event_type == "CategoryRenamed":
            row.name = d["name"]
        else:
            row.deleted = True
        row.version = e.version
        rows.changed(row)

    @staticmethod
    def _product(rows: _Rows, stock: _Rows, e: Envelope) -> None:
        d = e.data
        key = uuid_or_none(d["product_id"])
        row = rows.get(key)
        if e.event_type == "ProductCreated":
            if row is None:
                stores = [s for (product_id, _), s in stock.rows.items() if product_id == key]
                rows.add(ProductEntry(
                    product_id=key, sku=d["sku"], name=d["name"], category_id=uuid_or_none(d.get("category_id")),
                    unit_price=money(d["unit_price"]), tax_rate=money(d["tax_rate"]),
                    price_includes_tax=d.get("price_includes_tax", True),
                    low_stock_threshold=d.get("low_stock_threshold") or 0, version=e.version,
                    on_hand=sum(s.on_hand for s in stores), reserved=sum(s.reserved for s in stores),
                    updated_at=e.recorded_at))
            return
        if row is None:
            raise _missing(e, "product")
        if e.version <= row.version:
            return
        kind = e.event_type
        if kind == "ProductDetailsUpdated":
            row.sku, row.name, row.category_id = d["sku"], d["name"], uuid_or_none(d.get("category_id"))
            row.tax_rate, row.price_includes_tax = money(d["tax_rate"]), d.get("price_includes_tax", True)
            row.low_stock_threshold = d.get("low_stock_threshold") or 0
        elif kind == "ProductPriceChanged":
            row.unit_price = money(d["new_price"])
        elif kind == "ProductCostPriceChanged":
            row.cost_price = money(d["new_cost_price"]) if d["new_cost_price"] is not None else None
        elif kind == "ProductDiscontinued":
            row.status = ProductEntry.DISCONTINUED
        elif kind == "ProductReactivated":
            row.status = ProductEntry.ACTIVE
        row.version, row.updated_at = e.version, e.recorded_at
        rows.changed(row)

    @staticmethod
    def _stock(products: _Rows, stock: _Rows, e: Envelope) -> None:
        d = e.data
        product_id = uuid_or_none(d["product_id"])
        product = products.get(product_id)
        key = (product_id, d["store_code"])
        row = stock.get(key)
        if row is None:
            row = StockEntry(product_id=product_id, store_code=d["store_code"])
            stock.add(row)
        if e.stream_type == "Product":  # recorded before stock per store: the legacy store's pool
            if product is None:
                raise _missing(e, "product")
            if e.version <= product.version or row.version > 0:
                return
            product.version, product.updated_at = e.version, e.recorded_at
        elif e.version <= row.version:
            return
        else:
            row.version = e.version
        on_hand, reserved = row.on_hand, row.reserved
        if e.event_type == "StockCarriedOver":
            on_hand, reserved = d["on_hand"], sum(r["quantity"] for r in d["reservations"])
        elif e.event_type == "StoreLowStockThresholdSet":
            row.low_stock_threshold = d["low_stock_threshold"]
        on_hand = d.get("on_hand_after", on_hand)
        reserved = d.get("reserved_after", reserved)
        if d.get("average_cost_after") is not None:
            row.average_cost = money(d["average_cost_after"])
        if product is not None:
            product.on_hand += on_hand - row.on_hand
            product.reserved += reserved - row.reserved
            products.changed(product)
        row.on_hand, row.reserved = on_hand, reserved
        stock.changed(row)


# --- sales figures ---------------------------------------------------------------------------------
class SalesFiguresProjection(Projection):
    """Sales count when an order completes (on the store's local date and hour of `completed_at`),
    refunds when they are recorded (on the local date and hour of the event's `recorded_at`), each
    in the store of its order (`store_calendar.py`). The payment mix takes an order's payments (money kept, after change)
    when the order completes; a refund goes back by its own method."""

    name = "sales_figures"
    consumer = REPORTING
    tables = (DailySales, HourlySales, CashierSales, ProductSales, TaxRateSales, PaymentMethodSales, CompletedSale,
              Refund, Payment)
    subscriptions = {SALES: {"PaymentRecorded", "OrderCompleted", "OrderRefunded"}}

    def handle(self, envelopes: list[Envelope]) -> None:
        payments = [e for e in envelopes if e.event_type == "PaymentRecorded"]
        sales = [e for e in envelopes if e.event_type == "OrderCompleted"]
        refunds = [e for e in envelopes if e.event_type == "OrderRefunded"]
        rollup = Rollup()
        # An order's payments come before its completion, and its refunds after it (one stream),
        # so taking a batch's payments, then completions, then refunds keeps that order.
        if payments:
            insert_new(Payment, [{"payment_id": uuid_or_none(e.data["payment_id"]), "order_id": uuid_or_none(e.data["order_id"]),
                                  "method": e.data["method"], "amount": money(e.data["amount"])} for e in payments],
                       using=self.db)
        if sales:
            self._sales(sales, rollup)
        if refunds:
            self._refunds(refunds, rollup)
        rollup.flush(self.db)

    def _sales(self, envelopes: list[Envelope], rollup: Rollup) -> None:
        facts, hours = {}, {}
        zones = zones_of({e.data["store_code"] for e in envelopes}, using=self.db)
        for e in envelopes:
            d = e.data
            at = utc(d["completed_at"])
            there = local(at, zones[d["store_code"]])
            hours.setdefault(uuid_or_none(d["order_id"]), there.hour)
            facts.setdefault(uuid_or_none(d["order_id"]), {
                "order_id": uuid_or_none(d["order_id"]), "number": d["number"], "kind": d["kind"],
                "store_code": d["store_code"], "cashier": d["cashier"], "session_id": uuid_or_none(d.get("session_id")),
                "total": money(d["total"]), "completed_at": at, "day": there.date(),
                "line_rates": {str(line["line_no"]): str(money(line["tax_rate"])) for line in d["lines"]}})
        new = insert_new(CompletedSale, list(facts.values()), using=self.db)
        if not new:
            return
        paid = defaultdict(list)
        for order_id, method, amount in (Payment.objects.using(self.db).filter(order_id__in=new)
                                         .values_list("order_id", "method", "amount")):
            paid[order_id].append((method, amount))
        done = set()
        for e in envelopes:
            order_id = uuid_or_none(e.data["order_id"])
            if order_id in new and order_id not in done:
                done.add(order_id)
                self._sale(e.data, facts[order_id], hours[order_id], paid[order_id], rollup)

    @staticmethod
    def _sale(d: dict, fact: dict, hour: int, payments, rollup: Rollup) -> None:
        day, store = fact["day"], fact["store_code"]
        figures = {"orders": 1, "items": sum(line["quantity"] for line in d["lines"]), "gross": money(d["gross"]),
                   "discounts": money(d["discount_total"]), "tax": money(d["tax_total"]),
                   "total": money(d["total"])}
        rollup.add(DailySales, (day, store), **figures)
        rollup.add(HourlySales, (day, store, hour), **figures)
        rollup.add(CashierSales, (day, store, d["cashier"]), **figures)
        per_product: dict = {}
        for line in d["lines"]:
            product = per_product.setdefault(uuid_or_none(line["product_id"]), {
                "labels": {"sku": line["sku"], "name": line["name"]}, "orders": 1, "items": 0, "gross": ZERO,
                "discounts": ZERO, "tax": ZERO, "total": ZERO})
            product["items"] += line["quantity"]
            product["gross"] += money(line["gross"])
            product["discounts"] += money(line["discount"])
            product["tax"] += money(line["tax"])
            product["total"] += money(line["total"])
        for product_id, product in per_product.items():
            rollup.add(ProductSales, (day, store, product_id), **product)
        per_rate: dict = {}
        for line in d["lines"]:
            rate = per_rate.setdefault(money(line["tax_rate"]), {"orders": 1, "items": 0, "gross": ZERO,
                                                                 "discounts": ZERO, "tax": ZERO, "total": ZERO})
            rate["items"] += line["quantity"]
            for name, key in (("gross", "gross"), ("discounts", "discount"), ("tax", "tax"), ("total", "total")):
                rate[name] += money(line[key])
        for rate, figures in per_rate.items():
            rollup.add(TaxRateSales, (day, store, rate), **figures)
        for method, amount in payments:
            rollup.add(PaymentMethodSales, (day, store, method), payments=1, amount=amount)

    def _refunds(self, envelopes: list[Envelope], rollup: Rollup) -> None:
        order_ids = {uuid_or_none(e.data["order_id"]) for e in envelopes}
        sold = {order_id: (store, line_rates) for order_id, store, line_rates in CompletedSale.objects.using(self.db)
                .filter(order_id__in=order_ids).values_list("order_id", "store_code", "line_rates")}
        stores = {order_id: store for order_id, (store, _) in sold.items()}
        facts, hours = {}, {}
        zones = zones_of(set(stores.values()), using=self.db)
        for e in envelopes:
            d = e.data
            order_id = uuid_or_none(d["order_id"])
            if order_id not in stores:
                raise LookupError(f"sales.OrderRefunded {e.event_id} refunds order {order_id}, whose completion "
                                  "was not applied before it")
            at = utc(e.recorded_at)
            there = local(at, zones[stores[order_id]])
            hours.setdefault(uuid_or_none(d["refund_id"]), there.hour)
            facts.setdefault(uuid_or_none(d["refund_id"]), {
                "refund_id": uuid_or_none(d["refund_id"]), "order_id": order_id, "store_code": stores[order_id],
                "cashier": d.get("cashier") or "", "method": d["method"], "total": money(d["total"]),
                "tax": money(d["tax"]), "recorded_at": at, "day": there.date()})
        new = insert_new(Refund, list(facts.values()), using=self.db)
        done = set()
        for e in envelopes:
            refund_id = uuid_or_none(e.data["refund_id"])
            if refund_id in new and refund_id not in done:
                done.add(refund_id)
                rates = self._line_rates(e.data, sold[facts[refund_id]["order_id"]][1])
                self._refund(e.data, facts[refund_id], hours[refund_id], rates, rollup)

    def _line_rates(self, d: dict, known: dict) -> dict[int, Decimal]:
        """The tax rate of each refunded line: as the sale carried it; for a sale projected before
        its rates were kept (until a rebuild), the product's current rate."""
        rates = {int(line_no): money(rate) for line_no, rate in (known or {}).items()}
        missing = {uuid_or_none(line["product_id"]) for line in d["lines"] if line["line_no"] not in rates}
        current = dict(ProductEntry.objects.using(self.db).filter(product_id__in=missing)
                       .values_list("product_id", "tax_rate")) if missing else {}
        return {line["line_no"]: rates.get(line["line_no"], current.get(uuid_or_none(line["product_id"]), ZERO))
                for line in d["lines"]}

    @staticmethod
    def _refund(d: dict, fact: dict, hour: int, rates: dict[int, Decimal], rollup: Rollup) -> None:
        day, store = fact["day"], fact["store_code"]
        figures = {"refund_count": 1, "refunded_items": sum(line["quantity"] for line in d["lines"]),
                   "refunds": fact["total"], "refund_tax": fact["tax"]}
        rollup.add(DailySales, (day, store), **figures)
        rollup.add(HourlySales, (day, store, hour), **figures)
        rollup.add(CashierSales, (day, store, fact["cashier"]), **figures)
        per_product: dict = {}
        for line in d["lines"]:
            product = per_product.setdefault(uuid_or_none(line["product_id"]), {
                "refund_count": 1, "refunded_items": 0, "refunds": ZERO, "refund_tax": ZERO})
            product["refunded_items"] += line["quantity"]
            product["refunds"] += money(line["amount"])
            product["refund_tax"] += money(line["tax"])
        for product_id, product in per_product.items():
            rollup.add(ProductSales, (day, store, product_id), **product)
        per_rate: dict = {}
        for line in d["lines"]:
            rate = per_rate.setdefault(rates[line["line_no"]], {"refund_count": 1, "refunded_items": 0,
                                                                "refunds": ZERO, "refund_tax": ZERO})
            rate["refunded_items"] += line["quantity"]
            rate["refunds"] += money(line["amount"])
            rate["refund_tax"] += money(line["tax"])
        for rate, figures in per_rate.items():
            rollup.add(TaxRateSales, (day, store, rate), **figures)
        rollup.add(PaymentMethodSales, (day, store, fact["method"]), refund_count=1, refunds=fact["total"])


# --- till sessions ---------------------------------------------------------------------------------
_SESSION_FIELDS = ["status", "closed_at", "closed_by", "opening_float", "cash_in", "cash_out", "sales_count", "gross",
                   "discounts", "tax", "refund_count", "refunds", "refund_tax", "void_count", "voids",
                   "published_z_report", "version"]


class TillSessionsProjection(Projection):
    """Each till session: opened (float), cash moved in and out while open, and at the close the
    Z-report sales computed and published in `TillSessionClosed`, stored as it is (its figures
    copied onto the row and its methods' rows). Nothing here adds up sales: the Z-report is worked
    out once, by sales, from the session's drawer.

    Streams recorded before TillSessionClosed v2 published each method's `taken` and `given_back`
    and the refunds' tax have them only in their `Session*Recorded` events: those are added up here
    for such sessions (history only: nothing records them any more), and a v2 Z-report's figures
    replace them."""

    name = "z_reports"
    consumer = REPORTING
    tables = (TillEntry, TillSessionReport, TillSessionMethod)
    subscriptions = {SALES: {"TillRegistered", "TillSessionOpened", "CashMovementRecorded", "SessionPaymentRecorded",
                             "SessionRefundRecorded", "SessionVoidRecorded", "TillSessionClosed"}}

    def handle(self, envelopes: list[Envelope]) -> None:
        ids = {uuid_or_none(e.data["session_id"]) for e in envelopes if e.event_type != "TillRegistered"}
        sessions = _Rows(TillSessionReport, self.db, ids, session_id__in=ids)
        methods = _Rows(TillSessionMethod, self.db, ids, key=lambda m: (m.session_id, m.method), session_id__in=ids)
        tills = {}
        for e in envelopes:
            if e.event_type == "TillRegistered":
                tills[uuid_or_none(e.data["till_id"])] = e.data
            else:
                self._session_event(sessions, methods, e)
        for till_id, d in tills.items():
            TillEntry.objects.using(self.db).update_or_create(till_id=till_id, defaults={
                "name": d["name"], "store_code": d["store_code"], "store_name": d["store_name"]})
        sessions.save(_SESSION_FIELDS)
        methods.save(["taken", "given_back", "counted"])

    @staticmethod
    def _method(methods: _Rows, session_id, method: str) -> TillSessionMethod:
        row = methods.get((session_id, method))
        if row is None:
            row = TillSessionMethod(session_id=session_id, method=method)
            methods.add(row)
        else:
            methods.changed(row)
        return row

    def _session_event(self, sessions: _Rows, methods: _Rows, e: Envelope) -> None:
        d = e.data
        key = uuid_or_none(d["session_id"])
        session = sessions.get(key)
        if e.event_type == "TillSessionOpened":
            if session is None:
                sessions.add(TillSessionReport(
                    session_id=key, till_id=uuid_or_none(d["till_id"]), store_code=d["store_code"], cashier=d["cashier"],
                    opened_at=utc(d["opened_at"]), opening_float=money(d["opening_float"]), version=e.version))
            return
        if session is None:
            raise _missing(e, "till session")
        if e.version <= session.version:
            return
        kind = e.event_type
        if kind == "CashMovementRecorded":
            amount = money(d["amount"])
            if amount > 0:
                session.cash_in += amount
            else:
                session.cash_out -= amount
        elif kind == "SessionPaymentRecorded":  # history only (see the class)
            self._method(methods, key, d["method"]).taken += money(d["amount"])
        elif kind == "SessionRefundRecorded":
            session.refund_tax += money(d["tax"])
            self._method(methods, key, d["method"]).given_back += money(d["amount"])
        elif kind == "SessionVoidRecorded":
            for returned in d["returned"]:
                self._method(methods, key, returned["method"]).given_back += money(returned["amount"])
        elif kind == "TillSessionClosed":
            self._closed(session, methods, key, d)
        session.version = e.version
        sessions.changed(session)

    def _closed(self, session: TillSessionReport, methods: _Rows, key, d: dict) -> None:
        z = d["z_report"]
        session.status, session.closed_at = TillSessionReport.CLOSED, utc(d["closed_at"])
        session.closed_by, session.published_z_report = d.get("cashier") or "", z
        session.sales_count, session.refund_count = z["sales_count"], z["refund_count"]
        session.void_count, session.voids = z.get("void_count", 0), money(z.get("voids"))
        for name in ("gross", "discounts", "tax", "refunds", "opening_float", "cash_in", "cash_out"):
            setattr(session, name, money(z[name]))
        if z.get("refund_tax") is not None:
            session.refund_tax = money(z["refund_tax"])
        for line in z.get("methods") or ():
            row = self._method(methods, key, line["method"])
            row.counted = money(line["counted"])
            if line.get("taken") is not None:
                row.taken, row.given_back = money(line["taken"]), money(line["given_back"])


def projections() -> list[Projection]:
    # The store calendar first: sales figures of a batch read the time zones it may bring.
    return [StoreCalendarProjection(), CatalogDirectoryProjection(), SalesFiguresProjection(),
            TillSessionsProjection()]


def register_projections() -> list[Projection]:
    """Register the reporting projections with the `reporting` consumer (from `ReportingConfig.ready()`)."""
    from infrastructure.consumers.registry import register

    return [register(projection) for projection in projections()]
