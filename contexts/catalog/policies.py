"""The catalog's reactions to sales events (consumer `catalog`, source `sales`).

Contract expected from the sales context (fields used here; see its JSON Schemas):
- `OrderPlaced`    {order_id, kind: "till" | "delivery", store_code, lines: [{product_id, quantity, ...}]}
- `OrderCompleted` {order_id, kind, store_code, lines: [{product_id, quantity, ...}]}
- `OrderRefunded`  {order_id, refund_id, lines: [{product_id, quantity, ...}]}
- `OrderCancelled` {order_id}
- `OrderShipped`   {order_id}

A till sale takes stock down in its till's store when it completes; a delivery order reserves
stock in the store it names when placed (the saga: the answer is `StockReserved` or
`StockReservationRejected`), releases it when cancelled and consumes it when shipped; a refund
puts stock back where the order took it from.
"""

from uuid import UUID

from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.consumers.registry import Policy
from infrastructure.eventstore.envelope import Envelope

from . import commands as c

DELIVERY = "delivery"


def _lines(data: dict) -> tuple:
    return tuple(c.OrderLineQuantity(product_id=UUID(str(line["product_id"])), quantity=int(line["quantity"]))
                 for line in data.get("lines", ()))


class StockPolicy(Policy):
    name = "stock"
    consumer = "catalog"
    subscriptions = {"sales": {"OrderPlaced", "OrderCompleted", "OrderRefunded", "OrderCancelled", "OrderShipped"}}

    def on_OrderPlaced(self, e: Envelope):
        if e.data.get("kind") == DELIVERY:
            execute(c.ReserveStock(order_id=UUID(e.data["order_id"]), lines=_lines(e.data),
                                   store_code=e.data.get("store_code") or ""), Metadata.from_event(e))

    def on_OrderCompleted(self, e: Envelope):
        if e.data.get("kind") != DELIVERY:  # delivery stock leaves with the shipment instead
            execute(c.RecordSale(order_id=UUID(e.data["order_id"]), lines=_lines(e.data),
                                 store_code=e.data.get("store_code") or "", order_number=e.data.get("number") or ""),
                    Metadata.from_event(e))

    def on_OrderRefunded(self, e: Envelope):
        execute(c.RecordReturn(order_id=UUID(e.data["order_id"]), refund_id=UUID(e.data["refund_id"]),
                               lines=_lines(e.data)), Metadata.from_event(e))

    def on_OrderCancelled(self, e: Envelope):
        execute(c.ReleaseReservation(order_id=UUID(e.data["order_id"])), Metadata.from_event(e))

    def on_OrderShipped(self, e: Envelope):
        execute(c.ShipReservation(order_id=UUID(e.data["order_id"])), Metadata.from_event(e))
