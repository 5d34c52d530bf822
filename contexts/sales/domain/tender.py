"""Tenders: the ways a customer pays. Cash and card are built in; a shop defines its own (voucher,
mobile, cheque...), each saying whether it gives change and whether it needs a reference (the
voucher's number, the cheque's). A tender is retired, never deleted: old sales still name it."""

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from kernel.aggregate import Aggregate
from kernel.errors import Conflict, DomainError

from .events import SALES, TenderChanged, TenderDefined, TenderReinstated, TenderRetired

CODE = re.compile(r"^[a-z][a-z0-9_-]{1,19}$")
# Words a payment or refund already gives a meaning: a shop cannot define them.
RESERVED = frozenset({"cash", "card", "original", "points", "loyalty"})
# Tender streams are named by their code, so defining one twice meets the same stream.
_NAMESPACE = uuid.UUID("9a7d1f4e-5c3b-4f58-9a43-2f4d7c1e0b61")


@dataclass(frozen=True)
class TenderRule:
    """What a payment by this tender may do."""

    code: str
    name: str
    gives_change: bool
    needs_reference: bool
    built_in: bool = False
    active: bool = True


CASH = TenderRule("cash", "Cash", gives_change=True, needs_reference=False, built_in=True)
CARD = TenderRule("card", "Card", gives_change=False, needs_reference=False, built_in=True)
# A customer's loyalty points, spent at POS_LOYALTY_POINT_VALUE each (see Points).
POINTS = TenderRule("points", "Loyalty points", gives_change=False, needs_reference=False, built_in=True)
BUILT_IN = {CASH.code: CASH, CARD.code: CARD, POINTS.code: POINTS}


@dataclass(frozen=True)
class Points:
    """What the sale's customer can spend: `available` points, each worth `value`."""

    available: int
    value: Decimal

    def for_amount(self, amount: Decimal, field: str) -> int:
        points = amount / self.value
        if points != points.to_integral_value():
            raise DomainError(f"Points are spent in steps of {self.value}; {amount} is not a whole number of points.",
                              field=field, code="PointsNotWhole")
        return int(points)


def tender_stream_id(code: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, code)


def clean_code(code) -> str:
    code = str(code or "").strip().lower()
    if not CODE.match(code):
        raise DomainError("A tender's code is 2 to 20 lower-case letters, digits, '-' or '_', starting with a "
                          "letter (e.g. voucher).", field="code")
    if code in RESERVED:
        raise DomainError(f"'{code}' is built in or reserved; choose another code.", field="code",
                          code="ReservedTender")
    return code


def _clean_name(name) -> str:
    name = " ".join(str(name or "").split())
    if not name or len(name) > 40:
        raise DomainError("A tender needs a name of 1 to 40 characters (what the receipt and Z-report show).",
                          field="name")
    return name


class Tender(Aggregate):
    context = SALES
    stream_type = "Tender"

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.code = self.name = ""
        self.gives_change = self.needs_reference = False
        self.active = False

    def define(self, code: str, name: str, *, gives_change: bool, needs_reference: bool):
        if self.exists:
            raise Conflict(f"Tender {self.code} is defined already; change it instead.", field="code",
                           code="TenderExists")
        self._record(TenderDefined(tender_id=self.uuid, code=code, name=_clean_name(name),
                                   gives_change=bool(gives_change), needs_reference=bool(needs_reference)))

    def change(self, *, name=None, gives_change=None, needs_reference=None, active=None):
        """Only what differs is recorded; a request that changes nothing records nothing."""
        name = self.name if name is None else _clean_name(name)
        gives_change = self.gives_change if gives_change is None else bool(gives_change)
        needs_reference = self.needs_reference if needs_reference is None else bool(needs_reference)
        if (name, gives_change, needs_reference) != (self.name, self.gives_change, self.needs_reference):
            self._record(TenderChanged(tender_id=self.uuid, code=self.code, name=name, gives_change=gives_change,
                                       needs_reference=needs_reference))
        if active is False and self.active:
            self._record(TenderRetired(tender_id=self.uuid, code=self.code))
        elif active is True and not self.active:
            self._record(TenderReinstated(tender_id=self.uuid, code=self.code))

    def rule(self) -> TenderRule:
        return TenderRule(self.code, self.name, self.gives_change, self.needs_reference, active=self.active)

    def state(self) -> dict:
        return {"code": self.code, "name": self.name, "gives_change": self.gives_change,
                "needs_reference": self.needs_reference, "active": self.active, "built_in": False}

    # -- state changes -------------------------------------------------------------------------
    def when_TenderDefined(self, e):
        self.code, self.name, self.gives_change, self.needs_reference = (e.code, e.name, e.gives_change,
                                                                         e.needs_reference)
        self.active = True

    def when_TenderChanged(self, e):
        self.name, self.gives_change, self.needs_reference = e.name, e.gives_change, e.needs_reference

    def when_TenderRetired(self, e):
        self.active = False

    def when_TenderReinstated(self, e):
        self.active = True
