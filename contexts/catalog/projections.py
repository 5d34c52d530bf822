"""The catalog read models, projected from catalog events (consumer `catalog`).

One projection owns the three tables because they depend on each other: a category's active
product count follows product events, and products carry their category's name.
"""

from django.db.models import F

from infrastructure.eventstore.envelope import Envelope
from infrastructure.projections.projection import Projection

from .models import CategoryView, ProductView, StockMovementView

CATALOG = "catalog"

# event type -> (ledger kind, on_hand delta sign, reserved delta sign), for the stock ledger
_MOVEMENTS = {
    "StockReceived": ("received", 1, 0),
    "StockAdjusted": ("adjusted", 0, 0),  # uses the event's own delta
    "StockSold": ("sold", -1, 0),
    "StockReturned": ("returned", 1, 0),
    "ProductStockReserved": ("reserved", 0, 1),
    "ProductReservationReleased": ("released", 0, -1),
    "ReservedStockShipped": ("shipped", -1, -1),
}


def is_low_stock(on_hand: int, available: int, threshold: int, status: str) -> bool:
    """Negative stock is always an alert; an active product is low at or under its threshold."""
    return on_hand < 0 or (status == "active" and available <= threshold)


class CatalogProjection(Projection):
    name = "catalog"
    consumer = CATALOG
    tables = (CategoryView, ProductView, StockMovementView)
    subscriptions = {CATALOG: {
        "CategoryCreated", "CategoryRenamed", "CategoryDeleted",
        "ProductCreated", "ProductDetailsUpdated", "ProductPriceChanged", "ProductDiscontinued",
        "ProductReactivated", *_MOVEMENTS,
    }}

    def handle(self, envelopes: list[Envelope]) -> None:
        for e in envelopes:
            handler = getattr(self, f"on_{e.event_type}", None) or self._on_movement
            handler(e)

    # -- helpers -------------------------------------------------------------------------------
    @property
    def categories(self):
        return CategoryView.objects.using(self.db)

    @property
    def products(self):
        return ProductView.objects.using(self.db)

    def _count(self, category_id, delta: int):
        if category_id and delta:
            self.categories.filter(id=category_id).update(active_product_count=F("active_product_count") + delta)

    def _category_name(self, category_id) -> str:
        if not category_id:
            return ""
        return self.categories.filter(id=category_id).values_list("name", flat=True).first() or ""

    def _save_product(self, product: ProductView, e: Envelope, **changes):
        for key, value in changes.items():
            setattr(product, key, value)
        product.available = product.on_hand - product.reserved
        product.is_low_stock = is_low_stock(product.on_hand, product.available, product.low_stock_threshold,
                                            product.status)
        product.version, product.updated_at = e.version, e.recorded_at
        product.save(using=self.db)

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
        product = ProductView(
            id=d["product_id"], sku=d["sku"], barcode=d["barcode"], name=d["name"], category_id=d["category_id"],
            category_name=self._category_name(d["category_id"]), unit_price=d["unit_price"],
            tax_rate=d["tax_rate"], price_includes_tax=d["price_includes_tax"], status="active",
            low_stock_threshold=d["low_stock_threshold"], created_at=e.recorded_at)
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

    def on_ProductDiscontinued(self, e: Envelope):
        product = self.products.get(id=e.data["product_id"])
        self._count(product.category_id, -1)
        self._save_product(product, e, status="discontinued")

    def on_ProductReactivated(self, e: Envelope):
        product = self.products.get(id=e.data["product_id"])
        self._count(product.category_id, +1)
        self._save_product(product, e, status="active")

    # -- stock ---------------------------------------------------------------------------------
    def _on_movement(self, e: Envelope):
        kind, on_hand_sign, reserved_sign = _MOVEMENTS[e.event_type]
        d = e.data
        product = self.products.get(id=d["product_id"])
        # A count states the new figure; every other movement moves `quantity` units.
        on_hand_delta = d["delta"] if e.event_type == "StockAdjusted" else d["quantity"] * on_hand_sign
        reserved_delta = d.get("quantity", 0) * reserved_sign
        reference = d.get("supplier_reference") or d.get("reason") or str(d.get("refund_id") or d.get("order_id") or "")
        StockMovementView.objects.using(self.db).create(
            event_id=e.event_id, product_id=d["product_id"], kind=kind, on_hand_delta=on_hand_delta,
            reserved_delta=reserved_delta, on_hand_after=product.on_hand + on_hand_delta, reference=reference[:200],
            at=e.recorded_at)
        self._save_product(product, e, on_hand=product.on_hand + on_hand_delta,
                           reserved=product.reserved + reserved_delta, last_movement_kind=kind,
                           last_movement_at=e.recorded_at)
