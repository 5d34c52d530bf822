"""The product aggregate: what is sold, at what price and tax.

Stock is kept per store on streams of its own (domain/stock.py). Before that, stock was one pool
for the chain on this stream: those movements still replay here, into `legacy_on_hand` and
`legacy_reservations`, which the legacy store's stock stream carries over once (legacy_stock.py).
No new movement is recorded here.
"""

from decimal import Decimal
from uuid import UUID

from kernel.aggregate import Aggregate
from kernel.errors import Conflict

from . import values
from .events import (
    CATALOG, ProductCostPriceChanged, ProductCreated, ProductDetailsUpdated, ProductDiscontinued, ProductPriceChanged,
    ProductReactivated,
)


class Product(Aggregate):
    context = CATALOG
    stream_type = "Product"
    # Streams recorded before stock per store hold every sale of the product: snapshots spare
    # replaying them (measured at 100 sales/s on one product: 75% of the catalog consumer's CPU).
    snapshot_every = 20

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.sku = ""
        self.barcode: str | None = None
        self.name = ""
        self.category_id: UUID | None = None
        self.unit_price = Decimal("0.00")
        self.cost_price: Decimal | None = None
        self.tax_rate = Decimal("0.00")
        self.price_includes_tax = True
        self.low_stock_threshold = 0
        self.active = True
        self.legacy_on_hand = 0  # the chain-wide pool of the stream's version-1 stock movements
        self.legacy_reservations: dict[UUID, int] = {}

    # -- commands ------------------------------------------------------------------------------
    def create(self, *, sku, barcode, name, category_id, unit_price, tax_rate, price_includes_tax=True,
               low_stock_threshold=0):
        if self.exists:
            raise Conflict("This product already exists.")
        self._record(ProductCreated(
            product_id=self.uuid, sku=values.clean_sku(sku), barcode=values.clean_barcode(barcode),
            name=values.clean_name(name), category_id=category_id, unit_price=values.clean_price(unit_price),
            tax_rate=values.clean_tax_rate(tax_rate), price_includes_tax=bool(price_includes_tax),
            low_stock_threshold=values.low_stock_threshold(low_stock_threshold)))

    def update(self, *, sku=None, barcode=..., name=None, category_id=..., tax_rate=None,
               price_includes_tax=None, low_stock_threshold=None, unit_price=None):
        """Change any of the details; `...` means "leave as is" for fields that may be None."""
        details = dict(
            sku=values.clean_sku(sku) if sku is not None else self.sku,
            barcode=values.clean_barcode(barcode) if barcode is not ... else self.barcode,
            name=values.clean_name(name) if name is not None else self.name,
            category_id=category_id if category_id is not ... else self.category_id,
            tax_rate=values.clean_tax_rate(tax_rate) if tax_rate is not None else self.tax_rate,
            price_includes_tax=bool(price_includes_tax) if price_includes_tax is not None else self.price_includes_tax,
            low_stock_threshold=(values.low_stock_threshold(low_stock_threshold)
                                 if low_stock_threshold is not None else self.low_stock_threshold),
        )
        current = dict(sku=self.sku, barcode=self.barcode, name=self.name, category_id=self.category_id,
                       tax_rate=self.tax_rate, price_includes_tax=self.price_includes_tax,
                       low_stock_threshold=self.low_stock_threshold)
        if details != current:
            self._record(ProductDetailsUpdated(product_id=self.uuid, **details))
        if unit_price is not None:
            self.change_price(unit_price)

    def change_price(self, unit_price):
        price = values.clean_price(unit_price)
        if price != self.unit_price:
            self._record(ProductPriceChanged(product_id=self.uuid, old_price=self.unit_price, new_price=price))

    def set_cost_price(self, cost_price):
        """None clears it (not known)."""
        cost = values.clean_cost(cost_price) if cost_price is not None else None
        if cost != self.cost_price:
            self._record(ProductCostPriceChanged(product_id=self.uuid, old_cost_price=self.cost_price,
                                                 new_cost_price=cost))

    def discontinue(self, reason: str = ""):
        if not self.active:
            raise Conflict(f"{self.sku} is already discontinued.", code="AlreadyDiscontinued")
        self._record(ProductDiscontinued(product_id=self.uuid, reason=(reason or "").strip()[:200]))

    def reactivate(self):
        if self.active:
            raise Conflict(f"{self.sku} is not discontinued.", code="NotDiscontinued")
        self._record(ProductReactivated(product_id=self.uuid))

    # -- state changes -------------------------------------------------------------------------
    def when_ProductCreated(self, e):
        self.sku, self.barcode, self.name, self.category_id = e.sku, e.barcode, e.name, e.category_id
        self.unit_price, self.tax_rate, self.price_includes_tax = e.unit_price, e.tax_rate, e.price_includes_tax
        self.low_stock_threshold = e.low_stock_threshold

    def when_ProductDetailsUpdated(self, e):
        self.sku, self.barcode, self.name, self.category_id = e.sku, e.barcode, e.name, e.category_id
        self.tax_rate, self.price_includes_tax = e.tax_rate, e.price_includes_tax
        self.low_stock_threshold = e.low_stock_threshold

    def when_ProductPriceChanged(self, e):
        self.unit_price = e.new_price

    def when_ProductCostPriceChanged(self, e):
        self.cost_price = e.new_cost_price

    def when_ProductDiscontinued(self, e):
        self.active = False

    def when_ProductReactivated(self, e):
        self.active = True

    # -- the chain-wide pool of streams recorded before stock per store (history only) ----------
    def when_StockReceived(self, e):
        self.legacy_on_hand = e.on_hand_after

    when_StockAdjusted = when_StockSold = when_StockReturned = when_StockReceived

    def when_ProductStockReserved(self, e):
        self.legacy_reservations[e.order_id] = e.quantity

    def when_ProductReservationReleased(self, e):
        self.legacy_reservations.pop(e.order_id, None)

    def when_ReservedStockShipped(self, e):
        self.legacy_reservations.pop(e.order_id, None)
        self.legacy_on_hand = e.on_hand_after

    # -- snapshots -----------------------------------------------------------------------------
    def to_snapshot(self) -> dict:
        return {"sku": self.sku, "barcode": self.barcode, "name": self.name,
                "category_id": str(self.category_id) if self.category_id else None,
                "unit_price": str(self.unit_price), "tax_rate": str(self.tax_rate),
                "cost_price": str(self.cost_price) if self.cost_price is not None else None,
                "price_includes_tax": self.price_includes_tax, "low_stock_threshold": self.low_stock_threshold,
                "active": self.active, "on_hand": self.legacy_on_hand,
                "reservations": {str(order_id): quantity for order_id, quantity in self.legacy_reservations.items()}}

    @classmethod
    def from_snapshot(cls, stream_id: str, state: dict) -> "Product":
        product = cls(stream_id)
        product.sku, product.barcode, product.name = state["sku"], state["barcode"], state["name"]
        product.category_id = UUID(state["category_id"]) if state["category_id"] else None
        product.unit_price, product.tax_rate = Decimal(state["unit_price"]), Decimal(state["tax_rate"])
        cost = state.get("cost_price")  # snapshots taken before cost prices have none
        product.cost_price = Decimal(cost) if cost is not None else None
        product.price_includes_tax, product.low_stock_threshold = state["price_includes_tax"], state["low_stock_threshold"]
        product.active, product.legacy_on_hand = state["active"], state["on_hand"]
        product.legacy_reservations = {UUID(order_id): quantity
                                       for order_id, quantity in state["reservations"].items()}
        return product

    def state(self, on_hand: int = 0, reserved: int = 0) -> dict:
        """What the command side knows, for API answers; `on_hand` and `reserved` are the sums over
        the stores (the handler's, from the stock levels it keeps)."""
        return {"id": self.id, "version": self.version, "sku": self.sku, "barcode": self.barcode, "name": self.name,
                "category_id": str(self.category_id) if self.category_id else None,
                "unit_price": str(self.unit_price), "tax_rate": str(self.tax_rate),
                "cost_price": str(self.cost_price) if self.cost_price is not None else None,
                "price_includes_tax": self.price_includes_tax, "low_stock_threshold": self.low_stock_threshold,
                "status": "active" if self.active else "discontinued", "on_hand": on_hand,
                "reserved": reserved, "available": on_hand - reserved}
