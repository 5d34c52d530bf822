"""Commands of the catalog context: what a manager, the admin or a policy asks it to do."""

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

UNCHANGED = ...  # for optional fields where None is a meaningful value ("no barcode")


@dataclass(frozen=True)
class CreateCategory:
    category_id: UUID
    name: str


@dataclass(frozen=True)
class RenameCategory:
    category_id: UUID
    name: str


@dataclass(frozen=True)
class DeleteCategory:
    category_id: UUID


@dataclass(frozen=True)
class CreateProduct:
    product_id: UUID
    sku: str
    name: str
    unit_price: Decimal
    tax_rate: Decimal
    barcode: str | None = None
    category_id: UUID | None = None
    price_includes_tax: bool = True
    low_stock_threshold: int = 0
    cost_price: Decimal | None = None


@dataclass(frozen=True)
class UpdateProduct:
    product_id: UUID
    sku: str | None = None
    name: str | None = None
    barcode: object = UNCHANGED
    category_id: object = UNCHANGED
    tax_rate: Decimal | None = None
    price_includes_tax: bool | None = None
    low_stock_threshold: int | None = None
    unit_price: Decimal | None = None
    cost_price: object = UNCHANGED  # None clears it


@dataclass(frozen=True)
class ChangeProductPrice:
    product_id: UUID
    unit_price: Decimal


@dataclass(frozen=True)
class DiscontinueProduct:
    product_id: UUID
    reason: str = ""


@dataclass(frozen=True)
class ReactivateProduct:
    product_id: UUID


# --- stock, per product per store (store_code "": the legacy store, legacy_stock.py) ----------
@dataclass(frozen=True)
class ReceiveStock:
    product_id: UUID
    quantity: int
    supplier_reference: str | None = None
    store_code: str = ""
    supplier: str | None = None
    unit_cost: Decimal | None = None


@dataclass(frozen=True)
class AdjustStock:
    product_id: UUID
    counted_quantity: int
    reason: str
    store_code: str = ""


@dataclass(frozen=True)
class GoodsInLine:
    product_id: UUID
    quantity: int
    unit_cost: Decimal | None = None  # None: the product's cost price
    supplier: str | None = None
    supplier_reference: str | None = None


@dataclass(frozen=True)
class ReceiveGoods:
    """One delivery into a store, many lines: all received or none."""

    store_code: str
    lines: tuple[GoodsInLine, ...]


@dataclass(frozen=True)
class TransferQuantity:
    product_id: UUID
    quantity: int


@dataclass(frozen=True)
class SendTransfer:
    """Goods leave `from_store` for `to_store`: all lines or none."""

    transfer_id: UUID
    from_store: str
    to_store: str
    lines: tuple[TransferQuantity, ...]
    reference: str = ""


@dataclass(frozen=True)
class ReceiveTransfer:
    """The receiving store counted the goods in (a product left out: as many as were sent)."""

    transfer_id: UUID
    lines: tuple[TransferQuantity, ...] = ()


@dataclass(frozen=True)
class StartStocktake:
    """A count sheet of a store's active products (or of one category's)."""

    stocktake_id: UUID
    store_code: str
    category_id: UUID | None = None


@dataclass(frozen=True)
class CountedQuantity:
    product_id: UUID
    counted_quantity: int


@dataclass(frozen=True)
class CountStocktake:
    stocktake_id: UUID
    reason: str
    lines: tuple[CountedQuantity, ...]


@dataclass(frozen=True)
class SetStoreLowStockThreshold:
    """A store's own low-stock threshold for a product (None: the product's applies)."""

    product_id: UUID
    store_code: str
    low_stock_threshold: int | None


# --- issued by policies in reaction to sales events ------------------------------------------
@dataclass(frozen=True)
class OrderLineQuantity:
    product_id: UUID
    quantity: int


@dataclass(frozen=True)
class RecordSale:
    order_id: UUID
    lines: tuple[OrderLineQuantity, ...] = field(default_factory=tuple)
    store_code: str = ""
    order_number: str = ""  # the receipt's number, shown in the stock ledger


@dataclass(frozen=True)
class RecordReturn:
    order_id: UUID
    refund_id: UUID
    lines: tuple[OrderLineQuantity, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ReserveStock:
    order_id: UUID
    lines: tuple[OrderLineQuantity, ...]
    store_code: str = ""


@dataclass(frozen=True)
class ReleaseReservation:
    order_id: UUID


@dataclass(frozen=True)
class ShipReservation:
    order_id: UUID
