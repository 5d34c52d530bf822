"""Events published by the catalog context (topic `pos.catalog.events`)."""

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from kernel.events import DomainEvent

CATALOG = "catalog"


# --- categories -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CategoryCreated(DomainEvent, context=CATALOG):
    """A category was created."""

    category_id: UUID
    name: str


@dataclass(frozen=True)
class CategoryRenamed(DomainEvent, context=CATALOG):
    """A category got a new name."""

    category_id: UUID
    name: str


@dataclass(frozen=True)
class CategoryDeleted(DomainEvent, context=CATALOG):
    """A category with no active products was deleted."""

    category_id: UUID


# --- products ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProductCreated(DomainEvent, context=CATALOG):
    """A product was added to the catalog. `tax_rate` is a percentage (e.g. "20.00")."""

    product_id: UUID
    sku: str
    barcode: str | None
    name: str
    category_id: UUID | None
    unit_price: Decimal
    tax_rate: Decimal
    price_includes_tax: bool
    low_stock_threshold: int


@dataclass(frozen=True)
class ProductDetailsUpdated(DomainEvent, context=CATALOG):
    """A product's descriptive details changed (the full new details, not a diff)."""

    product_id: UUID
    sku: str
    barcode: str | None
    name: str
    category_id: UUID | None
    tax_rate: Decimal
    price_includes_tax: bool
    low_stock_threshold: int


@dataclass(frozen=True)
class ProductPriceChanged(DomainEvent, context=CATALOG):
    """A product's unit price changed."""

    product_id: UUID
    old_price: Decimal
    new_price: Decimal


@dataclass(frozen=True)
class ProductDiscontinued(DomainEvent, context=CATALOG):
    """A product can no longer be sold (its history and stock stay)."""

    product_id: UUID
    reason: str


@dataclass(frozen=True)
class ProductReactivated(DomainEvent, context=CATALOG):
    """A discontinued product can be sold again."""

    product_id: UUID


# --- stock movements (on the product's stream) -----------------------------------------------
@dataclass(frozen=True)
class StockReceived(DomainEvent, context=CATALOG):
    """Goods arrived from a supplier."""

    product_id: UUID
    quantity: int
    supplier_reference: str | None
    on_hand_after: int


@dataclass(frozen=True)
class StockAdjusted(DomainEvent, context=CATALOG):
    """A stock count replaced the on-hand figure; `delta` = counted - previous."""

    product_id: UUID
    counted_quantity: int
    delta: int
    reason: str
    on_hand_after: int


@dataclass(frozen=True)
class StockSold(DomainEvent, context=CATALOG):
    """A completed till sale took units (on hand may go negative: the goods already left)."""

    product_id: UUID
    order_id: UUID
    quantity: int
    on_hand_after: int


@dataclass(frozen=True)
class StockReturned(DomainEvent, context=CATALOG):
    """A refund put units back."""

    product_id: UUID
    order_id: UUID
    refund_id: UUID
    quantity: int
    on_hand_after: int


@dataclass(frozen=True)
class ProductStockReserved(DomainEvent, context=CATALOG):
    """Units of this product were set aside for a delivery order."""

    product_id: UUID
    order_id: UUID
    quantity: int
    reserved_after: int


@dataclass(frozen=True)
class ProductReservationReleased(DomainEvent, context=CATALOG):
    """A delivery order was cancelled; its units are available again."""

    product_id: UUID
    order_id: UUID
    quantity: int
    reserved_after: int


@dataclass(frozen=True)
class ReservedStockShipped(DomainEvent, context=CATALOG):
    """A delivery order shipped: its reserved units left the shop."""

    product_id: UUID
    order_id: UUID
    quantity: int
    on_hand_after: int
    reserved_after: int


# --- the stock-reservation saga's replies (stream per delivery order) -------------------------
@dataclass(frozen=True)
class ReservationLine:
    product_id: UUID
    quantity: int


@dataclass(frozen=True)
class RejectedLine:
    """`reason` is one of unknown_product, discontinued, insufficient_stock."""

    product_id: UUID
    quantity: int
    reason: str
    available: int | None


@dataclass(frozen=True)
class StockReserved(DomainEvent, context=CATALOG):
    """Every line of a delivery order is reserved."""

    order_id: UUID
    lines: tuple[ReservationLine, ...]


@dataclass(frozen=True)
class StockReservationRejected(DomainEvent, context=CATALOG):
    """Nothing was reserved for a delivery order; `lines` says why, per failing line."""

    order_id: UUID
    lines: tuple[RejectedLine, ...]


@dataclass(frozen=True)
class StockReleased(DomainEvent, context=CATALOG):
    """A delivery order's reservation was released (the order was cancelled)."""

    order_id: UUID
    lines: tuple[ReservationLine, ...]


@dataclass(frozen=True)
class ReservationFulfilled(DomainEvent, context=CATALOG):
    """A delivery order's reserved stock was shipped."""

    order_id: UUID
