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
class ProductCostPriceChanged(DomainEvent, context=CATALOG):
    """What one unit of the product costs the shop (its purchase price; None: not known). Goods
    received without a unit cost are received at it."""

    product_id: UUID
    old_cost_price: Decimal | None
    new_cost_price: Decimal | None


@dataclass(frozen=True)
class ProductDiscontinued(DomainEvent, context=CATALOG):
    """A product can no longer be sold (its history and stock stay)."""

    product_id: UUID
    reason: str


@dataclass(frozen=True)
class ProductReactivated(DomainEvent, context=CATALOG):
    """A discontinued product can be sold again."""

    product_id: UUID


# --- stock movements (on the stream of one product in one store) --------------------------------
# Since schema version 2 every movement names its store (`store_code`) and travels on the stream
# `stock-<product id>-<store code>` (domain/stock.py). Version 1 movements were recorded on the
# product's own stream when stock was one pool for the chain; their upcaster (legacy_stock.py)
# names the store that pool went to (docs/catalog.md, "Stock per store").
@dataclass(frozen=True)
class StockReceived(DomainEvent, context=CATALOG, version=2):
    """Goods arrived in a store from a supplier. `unit_cost` is what one unit cost (None: not
    given, valued at the product's cost price); `average_cost_after` is the store's moving
    average cost of the product after the receipt (None while no cost is known)."""

    product_id: UUID
    store_code: str
    quantity: int
    supplier_reference: str | None
    on_hand_after: int
    supplier: str | None = None
    unit_cost: Decimal | None = None
    average_cost_after: Decimal | None = None


@dataclass(frozen=True)
class StockAdjusted(DomainEvent, context=CATALOG, version=2):
    """A stock count replaced a store's on-hand figure; `delta` = counted - previous."""

    product_id: UUID
    store_code: str
    counted_quantity: int
    delta: int
    reason: str
    on_hand_after: int


@dataclass(frozen=True)
class StockSold(DomainEvent, context=CATALOG, version=2):
    """A completed till sale took units from its till's store (on hand may go negative: the goods
    already left)."""

    product_id: UUID
    store_code: str
    order_id: UUID
    quantity: int
    on_hand_after: int
    order_number: str = ""  # the receipt's number, S1-03-000123 ("" for sales recorded before it was kept)


@dataclass(frozen=True)
class StockReturned(DomainEvent, context=CATALOG, version=2):
    """A refund put units back in the store that sold them."""

    product_id: UUID
    store_code: str
    order_id: UUID
    refund_id: UUID
    quantity: int
    on_hand_after: int
    order_number: str = ""  # the refunded sale's receipt number, when the catalog knows it


@dataclass(frozen=True)
class ProductStockReserved(DomainEvent, context=CATALOG, version=2):
    """Units of this product were set aside in a store for a delivery order."""

    product_id: UUID
    store_code: str
    order_id: UUID
    quantity: int
    reserved_after: int


@dataclass(frozen=True)
class ProductReservationReleased(DomainEvent, context=CATALOG, version=2):
    """A delivery order was cancelled; its units are available again in its store."""

    product_id: UUID
    store_code: str
    order_id: UUID
    quantity: int
    reserved_after: int


@dataclass(frozen=True)
class ReservedStockShipped(DomainEvent, context=CATALOG, version=2):
    """A delivery order shipped: its reserved units left the store."""

    product_id: UUID
    store_code: str
    order_id: UUID
    quantity: int
    on_hand_after: int
    reserved_after: int


@dataclass(frozen=True)
class CarriedReservation:
    order_id: UUID
    quantity: int


@dataclass(frozen=True)
class StockCarriedOver(DomainEvent, context=CATALOG):
    """The first event of the legacy store's stock stream of a product that had stock before stock
    was kept per store: what the product's own stream held then (on hand and the open delivery
    reservations). It moves nothing: those units were counted by the movements on the product's
    stream, which read models keep replaying; it is where the store's stream takes over."""

    product_id: UUID
    store_code: str
    on_hand: int
    reservations: tuple[CarriedReservation, ...]


@dataclass(frozen=True)
class StoreLowStockThresholdSet(DomainEvent, context=CATALOG):
    """A store's own low-stock threshold for a product; None: the product's threshold applies."""

    product_id: UUID
    store_code: str
    low_stock_threshold: int | None


# --- transfers between stores (stock movements on the stock streams, the transfer on its own) --
@dataclass(frozen=True)
class StockTransferredOut(DomainEvent, context=CATALOG):
    """Units left a store for another (`transfer_id`), valued at the sender's average cost."""

    product_id: UUID
    store_code: str
    transfer_id: UUID
    to_store: str
    quantity: int
    unit_cost: Decimal | None
    on_hand_after: int


@dataclass(frozen=True)
class StockTransferredIn(DomainEvent, context=CATALOG):
    """Units sent by another store arrived (what was counted in, which may be fewer or more than
    were sent: the transfer's `TransferReceived` records the difference)."""

    product_id: UUID
    store_code: str
    transfer_id: UUID
    from_store: str
    quantity: int
    unit_cost: Decimal | None
    on_hand_after: int
    average_cost_after: Decimal | None


@dataclass(frozen=True)
class TransferLine:
    product_id: UUID
    quantity: int
    unit_cost: Decimal | None = None


@dataclass(frozen=True)
class ReceivedLine:
    """`difference` = sent - received (positive: units short; negative: more than were sent)."""

    product_id: UUID
    sent: int
    received: int
    difference: int


@dataclass(frozen=True)
class TransferSent(DomainEvent, context=CATALOG):
    """A store sent goods to another: they left the sender and are in transit."""

    transfer_id: UUID
    from_store: str
    to_store: str
    reference: str
    lines: tuple[TransferLine, ...]


@dataclass(frozen=True)
class TransferReceived(DomainEvent, context=CATALOG):
    """The receiving store counted the goods in; each line says what was sent, received and the
    difference between them."""

    transfer_id: UUID
    to_store: str
    lines: tuple[ReceivedLine, ...]


# --- stocktakes (a count sheet for a store, or a category in it) -------------------------------
@dataclass(frozen=True)
class SheetLine:
    product_id: UUID
    expected: int


@dataclass(frozen=True)
class CountedLine:
    """`delta` = counted - on hand when counted (what the adjustment moved)."""

    product_id: UUID
    expected: int
    counted: int
    delta: int


@dataclass(frozen=True)
class StocktakeStarted(DomainEvent, context=CATALOG):
    """A count sheet: the active products of a store (or of one category there) and the units on
    hand the shop expects to find."""

    stocktake_id: UUID
    store_code: str
    category_id: UUID | None
    lines: tuple[SheetLine, ...]


@dataclass(frozen=True)
class StocktakeCounted(DomainEvent, context=CATALOG):
    """The sheet was counted: each counted line became a `StockAdjusted` with the reason (lines
    left out were not counted and stay as they were)."""

    stocktake_id: UUID
    store_code: str
    reason: str
    lines: tuple[CountedLine, ...]


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
class StockReserved(DomainEvent, context=CATALOG, version=2):
    """Every line of a delivery order is reserved, in the store the order names (`store_code`,
    since version 2)."""

    order_id: UUID
    lines: tuple[ReservationLine, ...]
    store_code: str


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
