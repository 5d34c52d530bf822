"""The stock of one product in one store: its own stream `stock-<product id>-<store code>`.

Apart from the product's catalog stream, so a price change never conflicts with a sale, and one
stream per store, so sales at two stores never contend. Every movement of one product in one store
is serialised by the stream's version: two reservations racing for a store's last units cannot
both succeed.

Cost: each store keeps a moving average cost per product. A receipt at a known unit cost makes
the average (units on hand x average + units received x their cost) / (units on hand + received),
rounded to the cent; with nothing (or less than nothing) on hand the receipt's cost is the average.
Sales, refunds, counts and shipments move units at the average and leave it as it is.
"""

from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from kernel.aggregate import Aggregate
from kernel.errors import Conflict, DomainError

from . import values
from .events import (
    CATALOG, CarriedReservation, ProductReservationReleased, ProductStockReserved, ReservedStockShipped,
    StockAdjusted, StockCarriedOver, StockReceived, StockReturned, StockSold, StockTransferredIn,
    StockTransferredOut, StoreLowStockThresholdSet,
)

CENT = Decimal("0.01")
_PREFIX = "stock-"


def stock_stream_id(product_id, store_code: str) -> str:
    return f"{_PREFIX}{product_id}-{store_code}"


def split_stock_stream_id(stream_id: str) -> tuple[UUID, str]:
    product, _, store_code = stream_id.removeprefix(_PREFIX).rpartition("-")
    return UUID(product), store_code


class StoreStock(Aggregate):
    context = CATALOG
    stream_type = "StoreStock"
    # Every completed till sale adds a StockSold: a popular product's stream grows by the day.
    snapshot_every = 20

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.product_id, self.store_code = split_stock_stream_id(self.id)
        self.on_hand = 0
        self.reservations: dict[UUID, int] = {}
        self.average_cost: Decimal | None = None
        self.low_stock_threshold: int | None = None  # the store's own; None: the product's

    @property
    def reserved(self) -> int:
        return sum(self.reservations.values())

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    # -- commands ------------------------------------------------------------------------------
    def carry_over(self, on_hand: int, reservations: dict[UUID, int]):
        """Start the legacy store's stream from what the product's own stream held (see
        legacy_stock.py). Only as the stream's first event, and only when there was something."""
        if self.exists or not (on_hand or reservations):
            return
        self._record(StockCarriedOver(
            product_id=self.product_id, store_code=self.store_code, on_hand=on_hand,
            reservations=tuple(CarriedReservation(order_id=o, quantity=q) for o, q in sorted(
                reservations.items(), key=lambda item: str(item[0])))))

    def receive(self, quantity: int, supplier_reference: str | None = None, *, supplier: str | None = None,
                unit_cost=None):
        quantity = values.positive_quantity(quantity)
        reference = (supplier_reference or "").strip()[:100] or None
        supplier = (supplier or "").strip()[:100] or None
        cost = values.clean_cost(unit_cost, field="unit_cost") if unit_cost is not None else None
        self._record(StockReceived(
            product_id=self.product_id, store_code=self.store_code, quantity=quantity,
            supplier_reference=reference, on_hand_after=self.on_hand + quantity, supplier=supplier, unit_cost=cost,
            average_cost_after=self._average_after(quantity, cost)))

    def _average_after(self, quantity: int, cost: Decimal | None) -> Decimal | None:
        if cost is None:
            return self.average_cost
        if self.on_hand <= 0 or self.average_cost is None:
            return cost
        total = self.on_hand * self.average_cost + quantity * cost
        return (total / (self.on_hand + quantity)).quantize(CENT, rounding=ROUND_HALF_UP)

    def adjust(self, counted_quantity: int, reason: str):
        counted = values.counted_quantity(counted_quantity)
        reason = (reason or "").strip()
        if not reason:
            raise DomainError("Say why the stock is adjusted (e.g. 'monthly count', 'breakage').", field="reason")
        self._record(StockAdjusted(product_id=self.product_id, store_code=self.store_code, counted_quantity=counted,
                                   delta=counted - self.on_hand, reason=reason[:200], on_hand_after=counted))

    def sell(self, order_id: UUID, quantity: int, order_number: str = ""):
        """A completed till sale: never refused for stock (the goods already left the counter)."""
        quantity = values.positive_quantity(quantity)
        self._record(StockSold(product_id=self.product_id, store_code=self.store_code, order_id=order_id,
                               quantity=quantity, on_hand_after=self.on_hand - quantity, order_number=order_number))

    def take_back(self, order_id: UUID, refund_id: UUID, quantity: int, order_number: str = ""):
        quantity = values.positive_quantity(quantity)
        self._record(StockReturned(product_id=self.product_id, store_code=self.store_code, order_id=order_id,
                                   refund_id=refund_id, quantity=quantity, on_hand_after=self.on_hand + quantity,
                                   order_number=order_number))

    def reservation_problem(self, quantity: int, *, product_active: bool) -> str | None:
        """Why `quantity` units cannot be reserved here now, or None."""
        if not product_active:
            return "discontinued"
        if quantity > self.available:
            return "insufficient_stock"
        return None

    def reserve(self, order_id: UUID, quantity: int, *, product_active: bool):
        if order_id in self.reservations:
            return  # already reserved for this order (its units are no longer available): nothing to do
        problem = self.reservation_problem(quantity, product_active=product_active)
        if problem:
            # A guard: the handler rejects such lines before reserving (a Conflict, problem type `conflict`).
            raise Conflict(f"Cannot reserve {quantity} in store {self.store_code}: {problem}.")
        self._record(ProductStockReserved(product_id=self.product_id, store_code=self.store_code, order_id=order_id,
                                          quantity=quantity, reserved_after=self.reserved + quantity))

    def release(self, order_id: UUID):
        quantity = self.reservations.get(order_id)
        if quantity:
            self._record(ProductReservationReleased(product_id=self.product_id, store_code=self.store_code,
                                                    order_id=order_id, quantity=quantity,
                                                    reserved_after=self.reserved - quantity))

    def ship_reserved(self, order_id: UUID):
        quantity = self.reservations.get(order_id)
        if quantity:
            self._record(ReservedStockShipped(product_id=self.product_id, store_code=self.store_code,
                                              order_id=order_id, quantity=quantity,
                                              on_hand_after=self.on_hand - quantity,
                                              reserved_after=self.reserved - quantity))

    def transfer_out(self, transfer_id: UUID, to_store: str, quantity: int):
        """Units leave for another store: never more than are available here (a transfer is
        planned, unlike a sale at the counter)."""
        quantity = values.positive_quantity(quantity)
        if quantity > self.available:
            raise Conflict(f"Store {self.store_code} has {self.available} available, not {quantity}.",
                           field="quantity", code="InsufficientStock")
        self._record(StockTransferredOut(product_id=self.product_id, store_code=self.store_code,
                                         transfer_id=transfer_id, to_store=to_store, quantity=quantity,
                                         unit_cost=self.average_cost, on_hand_after=self.on_hand - quantity))

    def transfer_in(self, transfer_id: UUID, from_store: str, quantity: int, unit_cost: Decimal | None):
        """Units counted in from another store, at the sender's average cost."""
        quantity = values.positive_quantity(quantity)
        self._record(StockTransferredIn(product_id=self.product_id, store_code=self.store_code,
                                        transfer_id=transfer_id, from_store=from_store, quantity=quantity,
                                        unit_cost=unit_cost, on_hand_after=self.on_hand + quantity,
                                        average_cost_after=self._average_after(quantity, unit_cost)))

    def set_low_stock_threshold(self, threshold: int | None):
        threshold = values.low_stock_threshold(threshold) if threshold is not None else None
        if threshold != self.low_stock_threshold:
            self._record(StoreLowStockThresholdSet(product_id=self.product_id, store_code=self.store_code,
                                                   low_stock_threshold=threshold))

    # -- state changes -------------------------------------------------------------------------
    def when_StockCarriedOver(self, e):
        self.on_hand = e.on_hand
        self.reservations = {r.order_id: r.quantity for r in e.reservations}

    def when_StockReceived(self, e):
        self.on_hand = e.on_hand_after
        self.average_cost = e.average_cost_after

    def when_StockAdjusted(self, e):
        self.on_hand = e.on_hand_after

    when_StockSold = when_StockReturned = when_StockTransferredOut = when_StockAdjusted
    when_StockTransferredIn = when_StockReceived

    def when_ProductStockReserved(self, e):
        self.reservations[e.order_id] = e.quantity

    def when_ProductReservationReleased(self, e):
        self.reservations.pop(e.order_id, None)

    def when_ReservedStockShipped(self, e):
        self.reservations.pop(e.order_id, None)
        self.on_hand = e.on_hand_after

    def when_StoreLowStockThresholdSet(self, e):
        self.low_stock_threshold = e.low_stock_threshold

    # -- snapshots -----------------------------------------------------------------------------
    def to_snapshot(self) -> dict:
        return {"on_hand": self.on_hand,
                "reservations": {str(order_id): quantity for order_id, quantity in self.reservations.items()},
                "average_cost": str(self.average_cost) if self.average_cost is not None else None,
                "low_stock_threshold": self.low_stock_threshold}

    @classmethod
    def from_snapshot(cls, stream_id: str, state: dict) -> "StoreStock":
        stock = cls(stream_id)
        stock.on_hand = state["on_hand"]
        stock.reservations = {UUID(order_id): quantity for order_id, quantity in state["reservations"].items()}
        stock.average_cost = Decimal(state["average_cost"]) if state["average_cost"] is not None else None
        stock.low_stock_threshold = state["low_stock_threshold"]
        return stock

    def state(self) -> dict:
        """What the command side knows of this store's stock, for API answers."""
        return {"product_id": str(self.product_id), "store_code": self.store_code, "version": self.version,
                "on_hand": self.on_hand, "reserved": self.reserved, "available": self.available,
                "average_cost": str(self.average_cost) if self.average_cost is not None else None,
                "low_stock_threshold": self.low_stock_threshold}
