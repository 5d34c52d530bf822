"""Loyalty points from sales events (consumer `customers`, source `sales`).

Contract expected from the sales context (the fields used here; the sales context publishes
them with its JSON Schemas):

- `OrderCompleted` {order_id: uuid string, customer_id: uuid string or null,
                    total: decimal string, the amount paid for the order}
- `OrderRefunded`  {order_id: uuid string, refund_id: uuid string, customer_id: uuid string or null,
                    total: decimal string, the amount refunded, points: int, loyalty points given back}
- `PaymentRecorded` {order_id, payment_id: uuid strings, customer_id: uuid string or null,
                    points: int, the loyalty points the payment spent (method "points")}
- `OrderVoided`    {order_id: uuid string, customer_id: uuid string or null, points: int, given back}

Spent points come off the balance (`LoyaltyPointsRedeemed`) and refunds and voids give them back
(`LoyaltyPointsRestored`); the sales context decides whether the customer has the points (its own
record of what was spent, locked per customer), so these are recorded, never refused.

Points = floor(total / POS_LOYALTY_UNIT). Orders without a customer earn nothing. A customer this
context does not know, or one who was removed, is skipped with a log line: that is a fact about
the world, not a failure, and must not send the event to the dead-letter topic. An event that
breaks the contract (a missing field, an amount that is not a number) is left to raise, so the
consumer dead-letters it with the error for someone to look at.
"""

import logging
from decimal import Decimal
from uuid import UUID

from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.consumers.registry import Policy
from kernel.errors import NotFound
from infrastructure.eventstore.envelope import Envelope

from . import commands as c
from .domain.customer import CustomerRemovedError
from .domain.events import CUSTOMERS

logger = logging.getLogger(__name__)


def _customer_of(e: Envelope) -> UUID | None:
    customer = e.data.get("customer_id")
    return UUID(str(customer)) if customer else None


class LoyaltyPolicy(Policy):
    name = "loyalty"
    consumer = CUSTOMERS
    subscriptions = {"sales": {"OrderCompleted", "OrderRefunded", "PaymentRecorded", "OrderVoided"}}

    def on_OrderCompleted(self, e: Envelope):
        customer_id = _customer_of(e)
        if customer_id is None:
            return
        command = c.EarnLoyaltyPoints(customer_id=customer_id, order_id=UUID(str(e.data["order_id"])),
                                      amount=Decimal(str(e.data["total"])))
        self._execute(command, e)

    def on_PaymentRecorded(self, e: Envelope):
        """Points spent at a till come off the balance."""
        customer_id = _customer_of(e)
        if customer_id is None or not e.data.get("points"):
            return
        self._execute(c.RedeemLoyaltyPoints(customer_id=customer_id, order_id=UUID(str(e.data["order_id"])),
                                            payment_id=UUID(str(e.data["payment_id"])),
                                            points=int(e.data["points"])), e)

    def on_OrderVoided(self, e: Envelope):
        customer_id = _customer_of(e)
        if customer_id is None or not e.data.get("points"):
            return
        order_id = UUID(str(e.data["order_id"]))
        self._execute(c.RestoreLoyaltyPoints(customer_id=customer_id, order_id=order_id, source_id=order_id,
                                             points=int(e.data["points"])), e)

    def on_OrderRefunded(self, e: Envelope):
        customer_id = _customer_of(e)
        if customer_id is None:
            return
        if e.data.get("points"):  # points spent on the sale go back
            self._execute(c.RestoreLoyaltyPoints(customer_id=customer_id, order_id=UUID(str(e.data["order_id"])),
                                                 source_id=UUID(str(e.data["refund_id"])),
                                                 points=int(e.data["points"])), e)
        command = c.ReverseLoyaltyPoints(customer_id=customer_id, order_id=UUID(str(e.data["order_id"])),
                                         refund_id=UUID(str(e.data["refund_id"])),
                                         amount=Decimal(str(e.data["total"])))
        self._execute(command, e)

    def _execute(self, command, e: Envelope) -> None:
        try:
            execute(command, Metadata.from_event(e))
        except (NotFound, CustomerRemovedError) as refused:  # unknown or removed customer: nothing to credit
            logger.warning("loyalty: %s for order %s skipped (sales.%s %s): %s", type(command).__name__,
                           command.order_id, e.event_type, e.event_id, refused.message)
