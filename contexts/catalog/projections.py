"""The catalog read models, projected from catalog events (consumer `catalog`), and the
catalog's copy of the store directory (from the stores context's events).

One projection owns the four catalog tables because they depend on each other: a category's
active product count follows product events, products carry their category's name, and a
product's stock is the sum of its stock per store (whose low-stock flag follows the product's
threshold and status). Product and stock streams travel on different Kafka partitions, so either
may arrive first: each side counts in what the other already wrote, and times only move forward.
"""

from django.db.models import F, Sum

from infrastructure.eventstore.envelope import Envelope
from infrastructure.projections.projection import Projection

from .models import (
    CategoryView, ProductView, StockMovementView, StocktakeView, StoreEntry, StoreStockView, TransferView,
)

CATALOG = "catalog"
STORES = "stores"

# event type -> (ledger kind, on_hand delta sign, reserved delta sign), for the stock ledger
_MOVEMENTS = {
    "StockReceived": ("received", 1, 0),
    "StockAdjusted": ("adjusted", 0, 0),  # uses the event's own delta
    "StockSold": ("sold", -1, 0),
    "StockReturned": ("returned", 1, 0),
    "ProductStockReserved": ("reserved", 0, 1),
    "ProductReservationReleased": ("released", 0, -1),
    "ReservedStockShipped": ("shipped", -1, -1),
    "StockTransferredOut": ("transferred_out", -1, 0),
    "StockTransferredIn": ("transferred_in", 1, 0),
}


def is_low_stock(on_hand: int, available: int, threshold: int, status: str) -> bool:
    """Negative stock is always an alert; an active product is low at or under its threshold."""
    return on_hand < 0 or (status == "active" and available <= threshold)


def _later(current, new):
    return new if current is None or new > current else current


class CatalogProjection(Projection):
    name = "catalog"
    consumer = CATALOG
    tables = (CategoryView, ProductView, StoreStockView, StockMovementView, TransferView, StocktakeView)
    subscriptions = {CATALOG: {
        "CategoryCreated", "CategoryRenamed", "CategoryDeleted",
        "ProductCreated", "ProductDetailsUpdated", "ProductPriceChanged", "ProductCostPriceChanged",
        "ProductDiscontinued",
        "ProductReactivated", *_MOVEMENTS, "StockCarriedOver", "StoreLowStockThresholdSet", "TransferSent",
        "TransferReceived", "StocktakeStarted", "StocktakeCounted",
    }}

    def handle(self, envelopes: list[Envelope]) -> None:
        """`on_<Event>` per event, except stock movements: each run of them is applied in one go
        (`_on_movements`), a poll's worth of sales moving a few products each."""
        movements = []
        for e in envelopes:
            handler = getattr(self, f"on_{e.event_type}", None)
            if handler is None:
                movements.append(e)
                continue
            self._on_movements(movements)
            movements = []
            handler(e)
        self._on_movements(movements)

    # -- helpers -------------------------------------------------------------------------------
    @property
    def categories(self):
        return CategoryView.objects.using(self.db)

    @property
    def products(self):
        return ProductView.objects.using(self.db)

    @property
    def store_stock(self):
        return StoreStockView.objects.using(self.db)

    def _count(self, category_id, delta: int):
        if category_id and delta:
            self.categories.filter(id=category_id).update(active_product_count=F("active_product_count") + delta)

    def _category_name(self, category_id) -> str:
        if not category_id:
            return ""
        return self.categories.filter(id=category_id).values_list("name", flat=True).first() or ""

    def _change_product(self, product: ProductView, e: Envelope, **changes):
        """Set `changes` (not saved); the product stream's version only from its own events."""
        for key, value in changes.items():
            setattr(product, key, value)
        product.available = product.on_hand - product.reserved
        product.is_low_stock = is_low_stock(product.on_hand, product.available, product.low_stock_threshold,
                                            product.status)
        if e.stream_type == "Product":
            product.version = e.version
        product.updated_at = _later(product.updated_at, e.recorded_at)

    def _save_product(self, product: ProductView, e: Envelope, **changes):
        self._change_product(product, e, **changes)
        product.save(using=self.db)
        if e.stream_type == "Product" and e.event_type not in _MOVEMENTS:
            for row in self.store_stock.filter(product_id=product.id):
                self._save_store_stock(row, product)

    def _save_store_stock(self, row: StoreStockView, product: ProductView | None):
        if product is not None:
            row.sku, row.name = product.sku, product.name
        row.available = row.on_hand - row.reserved
        row.low_stock_threshold = (row.store_threshold if row.store_threshold is not None
                                   else product.low_stock_threshold if product else 0)
        row.is_low_stock = is_low_stock(row.on_hand, row.available, row.low_stock_threshold,
                                        product.status if product else "active")
        row.save(using=self.db)

    def _store_row(self, d: dict) -> StoreStockView:
        row = self.store_stock.select_for_update().filter(product_id=d["product_id"], store_code=d["store_code"]).first()
        return row or StoreStockView(product_id=d["product_id"], store_code=d["store_code"])

    # -- categories ----------------------------------------------------------------------------
    def on_CategoryCreated(self, e: Envelope):
        # Category and product streams travel on different Kafka partitions, so a product may be
        # projected before its category: count and name the products already here.
        category_id, name = e.data["category_id"], e.data["name"]
        self.categories.update_or_create(id=category_id, defaults={
            "name": name, "status": "active", "version": e.version,
            "active_product_count": self.products.filter(category_id=category_id, status="active").count(),
            "created_at": e.recorded_at, "updated_at": e.recorded_at})
        self.products.filter(category_id=category_id).update(category_name=name)

    def on_CategoryRenamed(self, e: Envelope):
        self.categories.filter(id=e.data["category_id"]).update(
            name=e.data["name"], version=e.version, updated_at=e.recorded_at)
        self.products.filter(category_id=e.data["category_id"]).update(category_name=e.data["name"])

    def on_CategoryDeleted(self, e: Envelope):
        self.categories.filter(id=e.data["category_id"]).update(
            status="deleted", version=e.version, updated_at=e.recorded_at)

    # -- products ------------------------------------------------------------------------------
    def on_ProductCreated(self, e: Envelope):
        d = e.data
        # Its stock in the stores may have been projected first (another stream): sum it in.
        stores = self.store_stock.filter(product_id=d["product_id"])
        sums = stores.aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
        last = stores.exclude(last_movement_at=None).order_by("-last_movement_at").first()
        product = ProductView(
            id=d["product_id"], sku=d["sku"], barcode=d["barcode"], name=d["name"], category_id=d["category_id"],
            category_name=self._category_name(d["category_id"]), unit_price=d["unit_price"],
            tax_rate=d["tax_rate"], price_includes_tax=d["price_includes_tax"], status="active",
            low_stock_threshold=d["low_stock_threshold"], created_at=e.recorded_at,
            on_hand=sums["on_hand"] or 0, reserved=sums["reserved"] or 0,
            last_movement_kind=last.last_movement_kind if last else "",
            last_movement_at=last.last_movement_at if last else None)
        self._save_product(product, e)
        self._count(d["category_id"], +1)

    def on_ProductDetailsUpdated(self, e: Envelope):
        d = e.data
        product = self.products.get(id=d["product_id"])
        if str(product.category_id or "") != str(d["category_id"] or "") and product.status == "active":
            self._count(product.category_id, -1)
            self._count(d["category_id"], +1)
        self._save_product(product, e, sku=d["sku"], barcode=d["barcode"], name=d["name"],
                           category_id=d["category_id"], category_name=self._category_name(d["category_id"]),
                           tax_rate=d["tax_rate"], price_includes_tax=d["price_includes_tax"],
                           low_stock_threshold=d["low_stock_threshold"])

    def on_ProductPriceChanged(self, e: Envelope):
        self._save_product(self.products.get(id=e.data["product_id"]), e, unit_price=e.data["new_price"])

    def on_ProductCostPriceChanged(self, e: Envelope):
        self._save_product(self.products.get(id=e.data["product_id"]), e, cost_price=e.data["new_cost_price"])

    def on_ProductDiscontinued(self, e: Envelope):
        product = self.products.get(id=e.data["product_id"])
        self._count(product.category_id, -1)
        self._save_product(product, e, status="discontinued")

    def on_ProductReactivated(self, e: Envelope):
        product = self.products.get(id=e.data["product_id"])
        self._count(product.category_id, +1)
        self._save_product(product, e, status="active")

    # -- stock ---------------------------------------------------------------------------------
    def _on_movements(self, events: list[Envelope]):
        """Stock movements, in order, with the result of applying them one at a time: each store
        row and product they touch is read once, changed by every movement in turn and written
        once, and their ledger lines go in one INSERT (a poll of eight two-line sales: 21 round
        trips instead of 80)."""
        if not events:
            return
        keys = list(dict.fromkeys((str(e.data["product_id"]), e.data["store_code"]) for e in events))
        rows = {key: self._store_row({"product_id": key[0], "store_code": key[1]}) for key in keys}
        products = {str(p.id): p for p in self.products.filter(id__in={product_id for product_id, _ in keys})}
        ledger, moved = [], {}
        for e in events:
            kind, on_hand_sign, reserved_sign = _MOVEMENTS[e.event_type]
            d = e.data
            # A count states the new figure; every other movement moves `quantity` units.
            on_hand_delta = d["delta"] if e.event_type == "StockAdjusted" else d["quantity"] * on_hand_sign
            reserved_delta = d.get("quantity", 0) * reserved_sign
            reference = (d.get("supplier_reference") or d.get("reason") or d.get("order_number")
                         or str(d.get("refund_id") or d.get("order_id") or d.get("transfer_id") or ""))
            row = rows[(str(d["product_id"]), d["store_code"])]
            ledger.append(StockMovementView(
                event_id=e.event_id, product_id=d["product_id"], store_code=d["store_code"], kind=kind,
                on_hand_delta=on_hand_delta, reserved_delta=reserved_delta, on_hand_after=row.on_hand + on_hand_delta,
                reference=reference[:200], at=e.recorded_at))
            row.on_hand += on_hand_delta
            row.reserved += reserved_delta
            if e.event_type in ("StockReceived", "StockTransferredIn") and d.get("average_cost_after") is not None:
                row.average_cost = d["average_cost_after"]
            if row.last_movement_at is None or e.recorded_at >= row.last_movement_at:
                row.last_movement_kind, row.last_movement_at = kind, e.recorded_at
            product = products.get(str(d["product_id"]))
            if product is not None:
                latest = product.last_movement_at is None or e.recorded_at >= product.last_movement_at
                self._change_product(product, e, on_hand=product.on_hand + on_hand_delta,
                                     reserved=product.reserved + reserved_delta,
                                     last_movement_kind=kind if latest else product.last_movement_kind,
                                     last_movement_at=e.recorded_at if latest else product.last_movement_at)
                moved[product.id] = product
        StockMovementView.objects.using(self.db).bulk_create(ledger)
        for (product_id, _), row in rows.items():
            self._save_store_stock(row, products.get(product_id))
        for product in moved.values():
            product.save(using=self.db)

    def on_StockCarriedOver(self, e: Envelope):
        """Moves nothing: the units it states were counted by the product stream's movements."""
        row = self._store_row(e.data)
        if row.pk is None:
            self._save_store_stock(row, self.products.filter(id=e.data["product_id"]).first())

    def on_StoreLowStockThresholdSet(self, e: Envelope):
        row = self._store_row(e.data)
        row.store_threshold = e.data["low_stock_threshold"]
        self._save_store_stock(row, self.products.filter(id=e.data["product_id"]).first())


    # -- transfers -----------------------------------------------------------------------------
    def _names(self, lines) -> dict:
        """product id -> (sku, name), for the lines of transfers and count sheets."""
        found = self.products.filter(id__in=[line["product_id"] for line in lines]).values_list("id", "sku", "name")
        return {str(product_id): (sku, name) for product_id, sku, name in found}

    def on_TransferSent(self, e: Envelope):
        d = e.data
        names = self._names(d["lines"])
        lines = [{"product_id": line["product_id"], "sku": names.get(line["product_id"], ("", ""))[0],
                  "name": names.get(line["product_id"], ("", ""))[1], "sent": line["quantity"], "received": None,
                  "difference": None} for line in d["lines"]]
        TransferView.objects.using(self.db).update_or_create(id=d["transfer_id"], defaults={
            "from_store": d["from_store"], "to_store": d["to_store"], "status": "in_transit",
            "reference": d["reference"], "lines": lines, "units_sent": sum(line["sent"] for line in lines),
            "sent_at": e.recorded_at, "version": e.version})

    def on_TransferReceived(self, e: Envelope):
        transfer = TransferView.objects.using(self.db).get(id=e.data["transfer_id"])
        counted = {line["product_id"]: line for line in e.data["lines"]}
        for line in transfer.lines:
            line["received"] = counted[line["product_id"]]["received"]
            line["difference"] = counted[line["product_id"]]["difference"]
        transfer.status, transfer.received_at, transfer.version = "received", e.recorded_at, e.version
        transfer.units_received = sum(line["received"] for line in transfer.lines)
        transfer.difference = transfer.units_sent - transfer.units_received
        transfer.save(using=self.db)


    # -- stocktakes ----------------------------------------------------------------------------
    def on_StocktakeStarted(self, e: Envelope):
        d = e.data
        names = self._names(d["lines"])
        lines = [{"product_id": line["product_id"], "sku": names.get(line["product_id"], ("", ""))[0],
                  "name": names.get(line["product_id"], ("", ""))[1], "expected": line["expected"], "counted": None,
                  "delta": None} for line in d["lines"]]
        StocktakeView.objects.using(self.db).update_or_create(id=d["stocktake_id"], defaults={
            "store_code": d["store_code"], "category_id": d["category_id"], "status": "open", "lines": lines,
            "started_at": e.recorded_at, "version": e.version})

    def on_StocktakeCounted(self, e: Envelope):
        stocktake = StocktakeView.objects.using(self.db).get(id=e.data["stocktake_id"])
        counted = {line["product_id"]: line for line in e.data["lines"]}
        for line in stocktake.lines:
            if line["product_id"] in counted:
                line["counted"], line["delta"] = counted[line["product_id"]]["counted"], counted[line["product_id"]]["delta"]
        stocktake.status, stocktake.reason = "counted", e.data["reason"]
        stocktake.counted_at, stocktake.version = e.recorded_at, e.version
        stocktake.save(using=self.db)


class CatalogStoresProjection(Projection):
    """The catalog's copy of the store directory: the stores stock may be kept in."""

    name = "catalog_stores"
    consumer = CATALOG
    tables = (StoreEntry,)
    subscriptions = {STORES: {"StoreRegistered", "StoreUpdated", "StoreClosed", "StoreReopened"}}

    @property
    def rows(self):
        return StoreEntry.objects.using(self.db)

    def on_StoreRegistered(self, e: Envelope):
        if not self.rows.filter(code=e.data["code"]).exists():
            self.save_row(StoreEntry(code=e.data["code"], name=e.data["name"], time_zone=e.data["time_zone"]), e)

    def on_StoreUpdated(self, e: Envelope):
        if row := self.current_row(self.rows, e, code=e.data["code"]):
            self.save_row(row, e, name=e.data["name"], time_zone=e.data["time_zone"])

    def on_StoreClosed(self, e: Envelope):
        if row := self.current_row(self.rows, e, code=e.data["code"]):
            self.save_row(row, e, is_open=False)

    def on_StoreReopened(self, e: Envelope):
        if row := self.current_row(self.rows, e, code=e.data["code"]):
            self.save_row(row, e, is_open=True)
