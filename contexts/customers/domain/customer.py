"""The customer aggregate: a customer's details and loyalty points.

Points live on the customer's own stream, so crediting an order and editing the details are
serialised by the stream version. The aggregate remembers which orders it credited and which
refunds it reversed, which makes both idempotent (a sales event delivered twice, or published
twice under different event ids, credits once).

Forgetting (GDPR art. 17) erases the details and keeps the rest: the customer's key is destroyed
by the handler in the same transaction, so the details in every earlier event open as erased
(`events.ERASED_NAME`). A forgotten customer is like a removed one (nothing changes any more)
and forgetting again changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import datetime as dt

from kernel.aggregate import Aggregate
from kernel.errors import Conflict, DomainError
from kernel.money import to_money

from . import values
from .events import (
    CUSTOMERS, ERASED_NAME, Address, CustomerForgotten, CustomerRegistered, CustomerRemoved, CustomerUpdated,
    LoyaltyPointsEarned, LoyaltyPointsRedeemed, LoyaltyPointsRestored, LoyaltyPointsReversed,
)

ACTIVE, REMOVED, FORGOTTEN = "active", "removed", "forgotten"
CUSTOMER_STATUSES = ((ACTIVE, "active"), (REMOVED, "removed"), (FORGOTTEN, "forgotten"))
UNCHANGED = ...  # "leave as is", for fields where None is meaningful ("no phone")


class CustomerRemovedError(Conflict):
    """The customer was removed; nothing about them may change any more."""


class Customer(Aggregate):
    context = CUSTOMERS
    stream_type = "Customer"
    # A regular customer collects an event per visit; replay from a snapshot past this many.
    snapshot_every = 100

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.name = ""
        self.phone: str | None = None
        self.email: str | None = None
        self.address: Address | None = None
        self.status = ACTIVE
        self.points_balance = 0
        self.earned_by_order: dict[str, int] = {}  # order id -> points credited
        self.reversed_by_order: dict[str, int] = {}  # order id -> points taken back
        self.reversed_refunds: set[str] = set()
        self.redeemed_payments: set[str] = set()  # sales payments by points, recorded once each
        self.restored_sources: set[str] = set()  # refunds and voids that gave points back

    @property
    def removed(self) -> bool:
        """Removed or forgotten: either way nothing about the customer changes any more."""
        return self.status in (REMOVED, FORGOTTEN)

    @property
    def forgotten(self) -> bool:
        return self.status == FORGOTTEN

    def details(self) -> dict:
        return {"name": self.name, "phone": self.phone, "email": self.email, "address": self.address}

    def state(self) -> dict:
        """What the command side knows, as writes answer it."""
        address = self.address
        return {
            "id": self.id, "version": self.version, "name": self.name, "phone": self.phone, "email": self.email,
            "address": None if address is None else {name: getattr(address, name) for name in values.ADDRESS_FIELDS},
            "points_balance": self.points_balance, "status": self.status,
        }

    # -- commands ------------------------------------------------------------------------------
    def register(self, *, name, phone=None, email=None, address=None) -> None:
        if self.exists:
            raise Conflict(f"Customer {self.id} is already registered.", code="AlreadyRegistered")
        self._record(CustomerRegistered(customer_id=self.uuid, **self._clean(name, phone, email, address)))

    def update(self, *, name=UNCHANGED, phone=UNCHANGED, email=UNCHANGED, address=UNCHANGED) -> bool:
        """Change any of the details (`UNCHANGED` keeps one). Returns whether anything changed:
        an update to the same details records nothing."""
        self._ensure_not_removed("updated")
        current = self.details()
        merged = self._clean(*(current[key] if value is UNCHANGED else value for key, value in
                               (("name", name), ("phone", phone), ("email", email), ("address", address))))
        if merged == current:
            return False
        self._record(CustomerUpdated(customer_id=self.uuid, **merged))
        return True

    def forget(self, requested_by: str, at: dt.datetime) -> bool:
        """Erase the details (the handler destroys the key). Returns False when already forgotten."""
        if self.forgotten:
            return False
        requested_by = (requested_by or "").strip()
        if not requested_by:
            raise DomainError("Say who asked for the customer to be forgotten.", field="requested_by")
        self._record(CustomerForgotten(customer_id=self.uuid, requested_by=requested_by,
                                       forgotten_at=at.astimezone(dt.timezone.utc)))
        return True

    def remove(self, reason=None) -> None:
        if self.removed:
            raise CustomerRemovedError(f"Customer {self.id} was already {self.status}.", code="CustomerRemoved")
        self._record(CustomerRemoved(customer_id=self.uuid, reason=values.clean_reason(reason)))

    def earn_points(self, order_id: UUID, amount: Decimal, unit: Decimal) -> int:
        """Credit a paid order: floor(amount / unit) points. Crediting an order twice is a no-op.
        Returns the points credited now (0 when nothing happened)."""
        self._ensure_not_removed("credited with points")
        amount = _amount(amount)
        if str(order_id) in self.earned_by_order:
            return 0
        points = values.points_for(amount, unit)
        if points <= 0:
            return 0
        self._record(LoyaltyPointsEarned(customer_id=self.uuid, order_id=order_id, points=points, amount=amount))
        return points

    def reverse_points(self, order_id: UUID, refund_id: UUID, amount: Decimal, unit: Decimal) -> int:
        """Take back the points of a refunded amount: floor(amount / unit), but never more than the
        order earned and not yet reversed, and never below a zero balance (points already spent
        stay spent). Reversing a refund twice is a no-op. Returns the points taken back now."""
        self._ensure_not_removed("changed")
        amount = _amount(amount)
        if str(refund_id) in self.reversed_refunds:
            return 0
        order = str(order_id)
        left_on_order = self.earned_by_order.get(order, 0) - self.reversed_by_order.get(order, 0)
        points = min(values.points_for(amount, unit), left_on_order, self.points_balance)
        if points <= 0:
            return 0
        self._record(LoyaltyPointsReversed(customer_id=self.uuid, order_id=order_id, refund_id=refund_id,
                                           points=points))
        return points

    def redeem_points(self, order_id: UUID, payment_id: UUID, points: int) -> int:
        """Points spent at a till. The sales context checked them against what it knew of this
        balance, so the redemption is recorded whatever it is now (a reversal crossing it may take
        the balance below zero, which later earnings make good). Once per payment."""
        if str(payment_id) in self.redeemed_payments or points <= 0:
            return 0
        self._record(LoyaltyPointsRedeemed(customer_id=self.uuid, order_id=order_id, payment_id=payment_id,
                                           points=points))
        return points

    def restore_points(self, order_id: UUID, source_id: UUID, points: int) -> int:
        """Spent points given back by a refund or a void (`source_id`). Once per source."""
        if str(source_id) in self.restored_sources or points <= 0:
            return 0
        self._record(LoyaltyPointsRestored(customer_id=self.uuid, order_id=order_id, source_id=source_id,
                                           points=points))
        return points

    # -- rules ---------------------------------------------------------------------------------
    @staticmethod
    def _clean(name, phone, email, address) -> dict:
        return {"name": values.clean_name(name), "phone": values.clean_phone(phone),
                "email": values.clean_email(email), "address": values.clean_address(address)}

    def _ensure_not_removed(self, what: str) -> None:
        if self.removed:
            raise CustomerRemovedError(f"Customer {self.id} was {self.status} and cannot be {what}.",
                                       code="CustomerRemoved")

    # -- state changes (the only place state changes) ------------------------------------------
    def when_CustomerRegistered(self, e: CustomerRegistered):
        self.name, self.phone, self.email, self.address = e.name, e.phone, e.email, e.address

    def when_CustomerUpdated(self, e: CustomerUpdated):
        self.name, self.phone, self.email, self.address = e.name, e.phone, e.email, e.address

    def when_CustomerRemoved(self, e: CustomerRemoved):
        self.status = REMOVED

    def when_CustomerForgotten(self, e: CustomerForgotten):
        self.status = FORGOTTEN
        self.name, self.phone, self.email, self.address = ERASED_NAME, None, None, None

    def when_LoyaltyPointsEarned(self, e: LoyaltyPointsEarned):
        self.earned_by_order[str(e.order_id)] = e.points
        self.points_balance += e.points

    def when_LoyaltyPointsRedeemed(self, e: LoyaltyPointsRedeemed):
        self.redeemed_payments.add(str(e.payment_id))
        self.points_balance -= e.points

    def when_LoyaltyPointsRestored(self, e: LoyaltyPointsRestored):
        self.restored_sources.add(str(e.source_id))
        self.points_balance += e.points

    def when_LoyaltyPointsReversed(self, e: LoyaltyPointsReversed):
        order = str(e.order_id)
        self.reversed_by_order[order] = self.reversed_by_order.get(order, 0) + e.points
        self.reversed_refunds.add(str(e.refund_id))
        self.points_balance -= e.points

    # -- snapshots -----------------------------------------------------------------------------
    def to_snapshot(self) -> dict:
        state = self.state()
        return {**{k: state[k] for k in ("name", "phone", "email", "address", "status", "points_balance")},
                "earned_by_order": dict(self.earned_by_order), "reversed_by_order": dict(self.reversed_by_order),
                "reversed_refunds": sorted(self.reversed_refunds), "redeemed_payments": sorted(self.redeemed_payments),
                "restored_sources": sorted(self.restored_sources)}

    @classmethod
    def from_snapshot(cls, stream_id, state: dict) -> "Customer":
        customer = cls(stream_id)
        customer.name, customer.phone, customer.email = state["name"], state["phone"], state["email"]
        customer.address = Address(**state["address"]) if state["address"] else None
        customer.status, customer.points_balance = state["status"], state["points_balance"]
        customer.earned_by_order = dict(state["earned_by_order"])
        customer.reversed_by_order = dict(state["reversed_by_order"])
        customer.reversed_refunds = set(state["reversed_refunds"])
        # Snapshots from before points could be spent lack these.
        customer.redeemed_payments = set(state.get("redeemed_payments", ()))
        customer.restored_sources = set(state.get("restored_sources", ()))
        return customer


def _amount(value) -> Decimal:
    try:
        amount = to_money(value)
    except (TypeError, ValueError, ArithmeticError):
        raise DomainError(f"{value!r} is not an amount such as 12.50.", field="amount") from None
    if amount < 0:
        raise DomainError("The amount must be zero or more.", field="amount")
    return amount
