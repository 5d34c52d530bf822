"""Helpers shared by the catalog tests: valid barcodes, catalog objects made through the catalog's
own commands, the catalog's events and read tables as plain values."""

from __future__ import annotations

import itertools
import random
import uuid
from decimal import Decimal

from contexts.catalog import commands as c
from contexts.catalog.domain.values import barcode_check_digit
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata

API = "/api/v1/catalog"
PROBLEM = "application/problem+json"
_counter = itertools.count(1)


def ean13(body: str | None = None) -> str:
    """A valid EAN-13 (random 12-digit body unless given) with its check digit."""
    body = body or "".join(random.choice("0123456789") for _ in range(12))
    return body + str(barcode_check_digit(body))


def wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def unique_sku(prefix: str = "SKU") -> str:
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:6]}".upper()


def meta(user: str = "test-setup") -> Metadata:
    return Metadata.new(user=user)


def make_category(name: str | None = None) -> uuid.UUID:
    category_id = uuid.uuid4()
    execute(c.CreateCategory(category_id=category_id, name=name or f"Category {uuid.uuid4().hex[:8]}"), meta())
    return category_id


def make_product(*, stock: int = 0, category_id=None, sku: str | None = None, barcode: str | None = "auto",
                 name: str | None = None, unit_price: str = "2.50", tax_rate: str = "20",
                 low_stock_threshold: int = 0, price_includes_tax: bool = True, discontinued: bool = False) -> uuid.UUID:
    product_id = uuid.uuid4()
    execute(c.CreateProduct(product_id=product_id, sku=sku or unique_sku(), name=name or f"Product {product_id.hex[:8]}",
                            barcode=ean13() if barcode == "auto" else barcode, category_id=category_id,
                            unit_price=Decimal(unit_price), tax_rate=Decimal(tax_rate),
                            price_includes_tax=price_includes_tax, low_stock_threshold=low_stock_threshold), meta())
    if stock:
        execute(c.ReceiveStock(product_id=product_id, quantity=stock, supplier_reference="opening"), meta())
    if discontinued:
        execute(c.DiscontinueProduct(product_id=product_id, reason="test"), meta())
    return product_id


def events_of(stream_id, context: str = "catalog") -> list[tuple[str, dict]]:
    """(event type, data) of one stream, oldest first."""
    from infrastructure.eventstore.models import StoredEvent

    return list(StoredEvent.objects.filter(context=context, stream_id=str(stream_id)).order_by("version")
                .values_list("event_type", "data"))


def event_types(stream_id) -> list[str]:
    return [event_type for event_type, _ in events_of(stream_id)]


def event_count(**filters) -> int:
    from infrastructure.eventstore.models import StoredEvent

    return StoredEvent.objects.filter(**filters).count()


def catalog_tables() -> dict[str, list[tuple]]:
    """Every row of the catalog's read tables (movements without their auto id), sorted."""
    from contexts.catalog.models import CategoryView, ProductView, StockMovementView, StoreStockView

    def rows(model, exclude=()):
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]
        return sorted(model.objects.order_by().values_list(*names), key=repr)

    return {"categories": rows(CategoryView), "products": rows(ProductView),
            "stores": rows(StoreStockView, exclude=("id",)), "movements": rows(StockMovementView, exclude=("id",))}


def product_row(product_id):
    from contexts.catalog.models import ProductView

    return ProductView.objects.get(id=product_id)


def assert_problem(response, status: int, field: str | None = None, *, contains: str | None = None) -> dict:
    """The response is RFC 9457 problem details with `status` (and an error naming `field`)."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    if field is not None:
        fields = [error["field"] for error in body.get("errors", [])]
        assert field in fields, body
    if contains is not None:
        assert contains in body["detail"], body
    return body
