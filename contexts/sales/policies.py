"""Sales' policies (consumer `sales`):

- the stock-reservation saga (source `catalog`): `StockReserved` confirms a delivery order,
  `StockReservationRejected` cancels it with reasons;
- forgetting (source `customers`): `CustomerForgotten` destroys sales' key for the customer's
  shipping addresses (docs/personal-data.md)."""

from uuid import UUID

from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.consumers.registry import Policy
from infrastructure.eventstore.envelope import Envelope

from . import commands as c

REASONS = {"unknown_product": "unknown product", "discontinued": "discontinued",
           "insufficient_stock": "insufficient stock"}


def rejection_reasons(data: dict) -> tuple[str, ...]:
    reasons = []
    for line in data.get("lines", ()):
        text = f"product {line['product_id']}: {REASONS.get(line['reason'], line['reason'])}"
        if line.get("available") is not None and line["reason"] == "insufficient_stock":
            text += f" ({line['available']} available, {line['quantity']} wanted)"
        reasons.append(text)
    return tuple(reasons)


class ReservationRepliesPolicy(Policy):
    name = "reservation-replies"
    consumer = "sales"
    subscriptions = {"catalog": {"StockReserved", "StockReservationRejected"}}

    def on_StockReserved(self, e: Envelope):
        execute(c.ConfirmOrder(order_id=UUID(e.data["order_id"])), Metadata.from_event(e))

    def on_StockReservationRejected(self, e: Envelope):
        execute(c.CancelOrder(order_id=UUID(e.data["order_id"]), reasons=rejection_reasons(e.data)),
                Metadata.from_event(e))


class ForgottenCustomersPolicy(Policy):
    """Registered before the orders projection: an order placed in the same batch after the
    `CustomerForgotten` then opens its address as erased, never in plaintext."""

    name = "forgotten-customers"
    consumer = "sales"
    subscriptions = {"customers": {"CustomerForgotten"}}

    def on_CustomerForgotten(self, e: Envelope):
        execute(c.ForgetCustomerAddresses(customer_id=UUID(e.data["customer_id"])), Metadata.from_event(e))
