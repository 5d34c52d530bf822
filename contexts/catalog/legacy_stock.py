"""Stock recorded before it was kept per store: one pool for the whole chain, on each product's
own stream (schema version 1 of the stock movements, and of `StockReserved`).

That pool belongs to one store, the **legacy store**: `settings.POS_STOCK_LEGACY_STORE` (default
`S1`, the demo's store; set it once, before the upgrade, to the store that held the shop's stock,
and never change it afterwards: it is part of how old events read). Its upcasters name that store
in every version-1 movement, so read models replaying the product streams count the old pool in
that store, live and on rebuild alike.

The legacy store's stock stream of a product starts, the first time it is written, with a
`StockCarriedOver` stating what the product's stream holds (on hand, open reservations): the
product's stream takes no stock movement any more, so the figure is final.

Stock commands that name no store (clients of the API from before stock per store) act in the
legacy store too.
"""

from django.conf import settings

from infrastructure.events.upcasting import upcaster

from .domain.events import CATALOG

MOVEMENTS_V1 = ("StockReceived", "StockAdjusted", "StockSold", "StockReturned", "ProductStockReserved",
                "ProductReservationReleased", "ReservedStockShipped")


def legacy_store() -> str:
    return str(settings.POS_STOCK_LEGACY_STORE).strip().upper()


def _in_legacy_store(data: dict) -> dict:
    return {**data, "store_code": legacy_store()}


for _event_type in (*MOVEMENTS_V1, "StockReserved"):
    upcaster(CATALOG, _event_type, from_version=1)(_in_legacy_store)


def carry_over_legacy_pool(stock, product) -> None:
    """Start `stock` (a StoreStock of the legacy store, not yet written) from `product`'s pool."""
    if not stock.exists and stock.store_code == legacy_store() and product is not None:
        stock.carry_over(product.legacy_on_hand, dict(product.legacy_reservations))
