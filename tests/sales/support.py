"""Shared set-up for sales tests: products in the catalog (and so in sales' price list), a till in
a registered store."""

import uuid
from decimal import Decimal

from contexts.catalog import commands as cat
from contexts.sales import commands as sal
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from tests.helpers.stores import register_store

META = Metadata.new(user="test-setup")


def make_product(sku: str, price: str, tax: str = "20", stock: int = 0, includes_tax: bool = True,
                 store: str = "") -> uuid.UUID:
    """A product; `stock` units received in `store` (registered first), else in the legacy store
    (POS_STOCK_LEGACY_STORE, S1), where stock commands that name no store act."""
    product_id = uuid.uuid4()
    execute(cat.CreateProduct(product_id=product_id, sku=sku, name=f"Product {sku}", unit_price=Decimal(price),
                              tax_rate=Decimal(tax), price_includes_tax=includes_tax), META)
    if stock:
        execute(cat.ReceiveStock(product_id=product_id, quantity=stock, store_code=store), META)
    return product_id


def make_till(name: str = "Till 1", store: str = "S1", store_name: str = "Main Street") -> uuid.UUID:
    """A till in store `store`, registered first (unless it is) and known to sales."""
    register_store(store, store_name)
    till_id = uuid.uuid4()
    execute(sal.RegisterTill(till_id=till_id, name=name, store_code=store), META)
    return till_id


def sale_body(till_id, lines, payments=(), **extra) -> dict:
    return {"till_id": str(till_id),
            "lines": [{"product_id": str(p), "quantity": q, **({"discount_percent": d} if d else {})}
                      for p, q, d in lines],
            "payments": [{"method": m, "amount": a} for m, a in payments], **extra}


def sell(client, body, key=None):
    """POST a sale with an Idempotency-Key of its own (or the one given, for a retry)."""
    return client.post("/api/v1/sales/orders/", body, format="json",
                       HTTP_IDEMPOTENCY_KEY=key or f"key-{uuid.uuid4()}")
