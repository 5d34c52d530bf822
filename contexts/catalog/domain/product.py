"""The product aggregate: what is sold, at what price and tax, and how many are in the shop.

Stock lives on the product's own stream, so every movement of one product is serialised by
the stream's version: two reservations racing for the last units cannot both succeed.
"""

from decimal import Decimal
from uuid import UUID

from kernel.aggregate import Aggregate
from kernel.errors import Conflict, DomainError

from . import values
from .events import (
    CATALOG, ProductCreated, ProductDetailsUpdated, ProductDiscontinued, ProductPriceChanged,
    ProductReactivated, ProductReservationReleased, ProductStockReserved, ReservedStockShipped,
    StockAdjusted, StockReceived, StockReturned, StockSold,
)


class Product(Aggregate):
    context = CATALOG
    stream_type = "Product"
    # Every completed till sale adds a StockSold: without snapshots the stock policy replays a
    # popular product's whole history per sale (measured at 100 sales/s on one product: 75% of the
    # catalog consumer's CPU in that replay, and it fell further behind as the stream grew).
    snapshot_every = 20

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.sku = ""
        self.barcode: str | None = None
        self.name = ""
        self.category_id: UUID | None = None
        self.unit_price = Decimal("0.00")
        self.tax_rate = Decimal("0.00")
        self.price_includes_tax = True
        self.low_stock_threshold = 0
        self.active = True
        self.on_hand = 0
        self.reservations: dict[UUID, int] = {}

    @property
    def reserved(self) -> int:
        return sum(self.reservations.values())

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

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

    def discontinue(self, reason: str = ""):
        if not self.active:
            raise Conflict(f"{self.sku} is already discontinued.", code="AlreadyDiscontinued")
        self._record(ProductDiscontinued(product_id=self.uuid, reason=(reason or "").strip()[:200]))

    def reactivate(self):
        if self.active:
            raise Conflict(f"{self.sku} is not discontinued.", code="NotDiscontinued")
        self._record(ProductReactivated(product_id=self.uuid))

    def receive(self, quantity: int, supplier_reference: str | None = None):
        quantity = values.positive_quantity(quantity)
        reference = (supplier_reference or "").strip()[:100] or None
        self._record(StockReceived(product_id=self.uuid, quantity=quantity, supplier_reference=reference,
                                   on_hand_after=self.on_hand + quantity))

    def adjust(self, counted_quantity: int, reason: str):
        counted = values.counted_quantity(counted_quantity)
        reason = (reason or "").strip()
        if not reason:
            raise DomainError("Say why the stock is adjusted (e.g. 'monthly count', 'breakage').", field="reason")
        self._record(StockAdjusted(product_id=self.uuid, counted_quantity=counted, delta=counted - self.on_hand,
                                   reason=reason[:200], on_hand_after=counted))

    def sell(self, order_id: UUID, quantity: int):
        """A completed till sale: never refused for stock (the goods already left the counter)."""
        quantity = values.positive_quantity(quantity)
        self._record(StockSold(product_id=self.uuid, order_id=order_id, quantity=quantity,
                               on_hand_after=self.on_hand - quantity))

    def take_back(self, order_id: UUID, refund_id: UUID, quantity: int):
        quantity = values.positive_quantity(quantity)
        self._record(StockReturned(product_id=self.uuid, order_id=order_id, refund_id=refund_id,
                                   quantity=quantity, on_hand_after=self.on_hand + quantity))

    def reservation_problem(self, quantity: int) -> str | None:
        """Why `quantity` units cannot be reserved now, or None."""
        if not self.active:
            return "discontinued"
        if quantity > self.available:
            return "insufficient_stock"
        return None

    def reserve(self, order_id: UUID, quantity: int):
        if order_id in self.reservations:
            return  # already reserved for this order (its units are no longer available): nothing to do
        problem = self.reservation_problem(quantity)
        if problem:
            # A guard: the handler rejects such lines before reserving (a Conflict, problem type `conflict`).
            raise Conflict(f"Cannot reserve {quantity} of {self.sku}: {problem}.")
        self._record(ProductStockReserved(product_id=self.uuid, order_id=order_id, quantity=quantity,
                                          reserved_after=self.reserved + quantity))

    def release(self, order_id: UUID):
        quantity = self.reservations.get(order_id)
        if quantity:
            self._record(ProductReservationReleased(product_id=self.uuid, order_id=order_id, quantity=quantity,
                                                    reserved_after=self.reserved - quantity))

    def ship_reserved(self, order_id: UUID):
        quantity = self.reservations.get(order_id)
        if quantity:
            self._record(ReservedStockShipped(product_id=self.uuid, order_id=order_id, quantity=quantity,
                                              on_hand_after=self.on_hand - quantity,
                                              reserved_after=self.reserved - quantity))

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

    def when_ProductDiscontinued(self, e):
        self.active = False

    def when_ProductReactivated(self, e):
        self.active = True

    def when_StockReceived(self, e):
        self.on_hand = e.on_hand_after

    when_StockAdjusted = when_StockSold = when_StockReturned = when_StockReceived

    def when_ProductStockReserved(self, e):
        self.reservations[e.order_id] = e.quantity

    def when_ProductReservationReleased(self, e):
        self.reservations.pop(e.order_id, None)

    def when_ReservedStockShipped(self, e):
        self.reservations.pop(e.order_id, None)
        self.on_hand = e.on_hand_after

    # -- snapshots -----------------------------------------------------------------------------
    def to_snapshot(self) -> dict:
        return {"sku": self.sku, "barcode": self.barcode, "name": self.name,
                "category_id": str(self.category_id) if self.category_id else None,
                "unit_price": str(self.unit_price), "tax_rate": str(self.tax_rate),
                "price_includes_tax": self.price_includes_tax, "low_stock_threshold": self.low_stock_threshold,
                "active": self.active, "on_hand": self.on_hand,
                "reservations": {str(order_id): quantity for order_id, quantity in self.reservations.items()}}

    @classmethod
    def from_snapshot(cls, stream_id: str, state: dict) -> "Product":
        product = cls(stream_id)
        product.sku, product.barcode, product.name = state["sku"], state["barcode"], state["name"]
        product.category_id = UUID(state["category_id"]) if state["category_id"] else None
        product.unit_price, product.tax_rate = Decimal(state["unit_price"]), Decimal(state["tax_rate"])
        product.price_includes_tax, product.low_stock_threshold = state["price_includes_tax"], state["low_stock_threshold"]
        product.active, product.on_hand = state["active"], state["on_hand"]
        product.reservations = {UUID(order_id): quantity for order_id, quantity in state["reservations"].items()}
        return product

    def state(self) -> dict:
        """What the command side knows, for API answers."""
        return {"id": self.id, "version": self.version, "sku": self.sku, "barcode": self.barcode, "name": self.name,
                "category_id": str(self.category_id) if self.category_id else None,
                "unit_price": str(self.unit_price), "tax_rate": str(self.tax_rate),
                "price_includes_tax": self.price_includes_tax, "low_stock_threshold": self.low_stock_threshold,
                "status": "active" if self.active else "discontinued", "on_hand": self.on_hand,
                "reserved": self.reserved, "available": self.available}
