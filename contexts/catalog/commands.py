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


@dataclass(frozen=True)
class ReceiveStock:
    product_id: UUID
    quantity: int
    supplier_reference: str | None = None


@dataclass(frozen=True)
class AdjustStock:
    product_id: UUID
    counted_quantity: int
    reason: str


# --- issued by policies in reaction to sales events ------------------------------------------
@dataclass(frozen=True)
class OrderLineQuantity:
    product_id: UUID
    quantity: int


@dataclass(frozen=True)
class RecordSale:
    order_id: UUID
    lines: tuple[OrderLineQuantity, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class RecordReturn:
    order_id: UUID
    refund_id: UUID
    lines: tuple[OrderLineQuantity, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ReserveStock:
    order_id: UUID
    lines: tuple[OrderLineQuantity, ...]


@dataclass(frozen=True)
class ReleaseReservation:
    order_id: UUID


@dataclass(frozen=True)
class ShipReservation:
    order_id: UUID
