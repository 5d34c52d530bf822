"""Tills (registered by a manager) and their sessions (opened, used and closed by a cashier)."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from kernel.aggregate import Aggregate
from kernel.errors import Conflict, DomainError
from kernel.serialization import from_json, to_json
from kernel.money import to_money

from .events import (
    SALES, CashMovementRecorded, MethodAmount, MethodTotals, SessionPaymentRecorded, SessionRefundRecorded,
    SessionSaleRecorded, SessionVoidRecorded, TaxLine, TillRegistered, TillSessionClosed, TillSessionOpened, ZReport,
)

ZERO = Decimal("0.00")
STORE_CODE = re.compile(r"^[A-Z0-9]{1,8}$")
MAX_CASH = Decimal("1000000.00")


def clean_amount(value, field: str, *, allow_zero=True, allow_negative=False) -> Decimal:
    try:
        amount = to_money(value)
    except (TypeError, ValueError):
        raise DomainError("An amount such as 100.00 is needed.", field=field) from None
    if (amount < 0 and not allow_negative) or (amount == 0 and not allow_zero) or abs(amount) > MAX_CASH:
        raise DomainError("This amount is out of range.", field=field)
    return amount


@dataclass(frozen=True)
class KnownStore:
    """A store as sales knows it: its copy of the stores context's directory (`StoreDetails`)."""

    code: str
    name: str
    is_open: bool


def clean_store_code(value, field: str = "store_code") -> str:
    code = str(value or "").strip().upper()
    if not STORE_CODE.match(code):
        raise DomainError("A store code is 1 to 8 letters or digits (e.g. S1); it prefixes order numbers.",
                          field=field)
    return code


def check_store(code: str, store: KnownStore | None, field: str = "store_code") -> KnownStore:
    """A new till or delivery order names a store registered with the stores context (never a
    store of its own making, with numbering and report rows of its own) that is open for business.
    A closed store keeps its tills, their sessions, sales and refunds; it takes no new ones.
    `store` is sales' copy, which trails the stores context in full mode: the message says so."""
    if store is None:
        raise DomainError(f"There is no store {code}: register it under Stores first (a store registered a "
                          "moment ago may not be known to sales yet; retry shortly).", field=field,
                          code="UnknownStore")
    if not store.is_open:
        raise Conflict(f"Store {code} is closed for business: it takes no new tills or delivery orders. "
                       "Reopen it first.", field=field, code="StoreClosed")
    return store


class Till(Aggregate):
    context = SALES
    stream_type = "Till"

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.name = self.store_code = self.store_name = ""

    def register(self, name: str, store_code: str, store: KnownStore | None):
        """`store` is what sales knows of the store `store_code` names (None: nothing); the till
        takes the store's registered name."""
        if self.exists:
            raise Conflict("This till is already registered.")
        name = " ".join((name or "").split())
        if not name or len(name) > 60:
            raise DomainError("A till needs a name of 1 to 60 characters.", field="name")
        code = clean_store_code(store_code)
        store = check_store(code, store)
        self._record(TillRegistered(till_id=self.uuid, name=name, store_code=code, store_name=store.name))

    def when_TillRegistered(self, e):
        self.name, self.store_code, self.store_name = e.name, e.store_code, e.store_name


class TillSession(Aggregate):
    """The money that went through one till between opening and closing, and its Z-report."""

    context = SALES
    stream_type = "TillSession"
    # Every sale adds events to its session: without snapshots a busy till would replay its
    # whole day on every sale (measured: 43 ms per sale early in the day, 151 ms by sale 300).
    snapshot_every = 20
    _MONEY_FIELDS = ("opening_float", "cash_in", "cash_out", "gross", "discounts", "tax", "refunds", "refund_tax",
                     "voids", "unapproved_refunds")

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.till_id: UUID | None = None
        self.cashier = ""
        self.open = False
        self.opening_float = ZERO
        self.cash_in = self.cash_out = ZERO
        self.sales_count = self.refund_count = self.void_count = 0
        self.gross = self.discounts = self.tax = self.refunds = self.refund_tax = self.voids = ZERO
        self.unapproved_refunds = ZERO  # refunded without a manager's approval: the cashier limit's tally
        self.opened_at: datetime | None = None
        self.taken = {"cash": ZERO, "card": ZERO}
        self.given_back = {"cash": ZERO, "card": ZERO}
        self.taxes: dict[Decimal, list[Decimal]] = {}  # rate -> [taxable, tax], sales less refunds
        self.z_report: ZReport | None = None

    def expected(self, method: str) -> Decimal:
        base = self.opening_float + self.cash_in - self.cash_out if method == "cash" else ZERO
        return base + self.taken.get(method, ZERO) - self.given_back.get(method, ZERO)

    def check_sale_time(self, placed_at: datetime, now: datetime, max_skew: timedelta):
        """An offline sale's time is believed only within this session, and at most `max_skew`
        ahead of the server's clock (a till's clock is never exact)."""
        if self.opened_at is not None and placed_at < self.opened_at:
            raise DomainError(f"placed_at {placed_at.isoformat()} is before this till session opened "
                              f"({self.opened_at.isoformat()}); a sale belongs to the session it is sold in.",
                              field="placed_at", code="PlacedAtOutsideSession")
        if placed_at > now + max_skew:
            raise DomainError(f"placed_at {placed_at.isoformat()} is in the future (server time {now.isoformat()}); "
                              "check the till's clock.", field="placed_at", code="PlacedAtInFuture")

    def start(self, *, till_id, store_code: str, cashier: str, opening_float, at: datetime):
        if self.exists:
            raise Conflict("This session already exists.")
        amount = clean_amount(opening_float, "opening_float")
        self._record(TillSessionOpened(session_id=self.uuid, till_id=till_id, store_code=store_code, cashier=cashier,
                                       opening_float=amount, opened_at=at))

    def move_cash(self, amount, reason: str, cashier: str):
        self._ensure_open()
        amount = clean_amount(amount, "amount", allow_zero=False, allow_negative=True)
        reason = " ".join((reason or "").split())
        if not reason:
            raise DomainError("Say why cash goes in or out (e.g. 'change float top-up', 'bank drop').",
                              field="reason")
        if self.expected("cash") + amount < 0:
            raise DomainError(f"Only {self.expected('cash')} should be in the drawer; {-amount} cannot be taken out.",
                              field="amount", code="DrawerShort")
        self._record(CashMovementRecorded(session_id=self.uuid, till_id=self.till_id, amount=amount,
                                          reason=reason[:200], cashier=cashier))

    def record_payment(self, order_id, payment_id, method: str, amount: Decimal):
        self._ensure_open()
        self._record(SessionPaymentRecorded(session_id=self.uuid, order_id=order_id, payment_id=payment_id,
                                            method=method, amount=amount))

    def record_sale(self, order_id, gross, discount_total, tax_total, total, taxes=()):
        self._ensure_open()
        self._record(SessionSaleRecorded(session_id=self.uuid, order_id=order_id, gross=gross,
                                         discount_total=discount_total, tax_total=tax_total, total=total,
                                         taxes=tuple(taxes)))

    def record_refund(self, order_id, refund_id, method: str, amount: Decimal, tax: Decimal, approved_by: str = "",
                      taxes=()):
        self._ensure_open()
        if method == "cash" and amount > self.expected("cash"):
            raise DomainError(f"The drawer should hold only {self.expected('cash')}; refund by card or ask a manager.",
                              field="method", code="DrawerShort")
        self._record(SessionRefundRecorded(session_id=self.uuid, order_id=order_id, refund_id=refund_id,
                                           method=method, amount=amount, tax=tax, approved_by=approved_by,
                                           taxes=tuple(taxes)))

    def record_void(self, order_id, total: Decimal, returned):
        """A voided sale: counted apart (count and amount), its payments given back by method."""
        self._ensure_open()
        by_method: dict[str, Decimal] = {}
        for payment in returned:
            by_method[payment.method] = by_method.get(payment.method, ZERO) + payment.amount
        self._record(SessionVoidRecorded(session_id=self.uuid, order_id=order_id, total=total, returned=tuple(
            MethodAmount(method=method, amount=amount) for method, amount in sorted(by_method.items()))))

    def close(self, counted: dict, cashier: str, at: datetime, tenders=("cash", "card"), z_number: int = 0):
        """The Z-report counts each tender: cash and card always, and every other tender this
        session took, gave back or was counted for (`tenders` are the codes a count may name)."""
        self._ensure_open()
        if "cash" not in counted:
            raise DomainError("Count the cash in the drawer to close the till.", field="counted.cash")
        for method in counted:
            if method not in tenders:
                raise DomainError(f"There is no tender {method!r} to count; count cash, card or a tender of the "
                                  "shop's.", field=f"counted.{method}", code="UnknownTender")
        used = {m for m, amount in [*self.taken.items(), *self.given_back.items()] if amount} | set(counted)
        methods = []
        for method in ("cash", "card", *sorted(used - {"cash", "card"})):
            expected = self.expected(method)
            # Totals other than cash come from the terminal or the vouchers; when not given they
            # are taken as expected. They can be negative: refunds today of earlier sessions' sales.
            value = counted.get(method, expected)
            amount = clean_amount(value, f"counted.{method}", allow_negative=method != "cash")
            methods.append(MethodTotals(method=method, expected=expected, counted=amount, difference=amount - expected))
        report = ZReport(
            sales_count=self.sales_count, gross=self.gross, discounts=self.discounts, tax=self.tax,
            discount_total=self.discounts, tax_total=self.tax,
            refunds=self.refunds, refund_count=self.refund_count, net=self.gross - self.discounts - self.refunds,
            opening_float=self.opening_float, cash_in=self.cash_in, cash_out=self.cash_out, methods=tuple(methods),
            cash_difference=methods[0].difference, void_count=self.void_count, voids=self.voids, z_number=z_number,
            taxes=tuple(TaxLine(rate=rate, taxable=taxable, tax=tax)
                        for rate, (taxable, tax) in sorted(self.taxes.items())))
        self._record(TillSessionClosed(session_id=self.uuid, till_id=self.till_id, cashier=cashier, closed_at=at,
                                       z_report=report))
        return report

    def _ensure_open(self):
        if not self.open:
            raise Conflict("This till session is closed.", code="SessionClosed")

    # -- state changes -------------------------------------------------------------------------
    def when_TillSessionOpened(self, e):
        self.till_id, self.cashier, self.opening_float, self.open = e.till_id, e.cashier, e.opening_float, True
        self.opened_at = e.opened_at

    def when_CashMovementRecorded(self, e):
        if e.amount > 0:
            self.cash_in += e.amount
        else:
            self.cash_out -= e.amount

    def when_SessionPaymentRecorded(self, e):
        self.taken[e.method] = self.taken.get(e.method, ZERO) + e.amount

    def when_SessionSaleRecorded(self, e):
        self.sales_count += 1
        self.gross += e.gross
        self.discounts += e.discount_total
        self.tax += e.tax_total
        self._add_taxes(e.taxes, 1)

    def _add_taxes(self, taxes, sign: int):
        for line in taxes:
            taxable, tax = self.taxes.get(line.rate, (ZERO, ZERO))
            self.taxes[line.rate] = [taxable + sign * line.taxable, tax + sign * line.tax]

    def when_SessionRefundRecorded(self, e):
        self._add_taxes(e.taxes, -1)
        self.refund_count += 1
        self.refunds += e.amount
        self.refund_tax += e.tax
        self.given_back[e.method] = self.given_back.get(e.method, ZERO) + e.amount
        if not e.approved_by:
            self.unapproved_refunds += e.amount

    def when_SessionVoidRecorded(self, e):
        self.void_count += 1
        self.voids += e.total
        for returned in e.returned:
            self.given_back[returned.method] = self.given_back.get(returned.method, ZERO) + returned.amount

    def when_TillSessionClosed(self, e):
        self.open, self.z_report = False, e.z_report

    def to_snapshot(self) -> dict:
        return {"z_report": to_json(self.z_report) if self.z_report else None, "till_id": str(self.till_id),
                "cashier": self.cashier, "open": self.open,
                "opened_at": self.opened_at.isoformat() if self.opened_at else None,
                "sales_count": self.sales_count, "refund_count": self.refund_count, "void_count": self.void_count,
                **{name: str(getattr(self, name)) for name in self._MONEY_FIELDS},
                "taken": {k: str(v) for k, v in self.taken.items()},
                "given_back": {k: str(v) for k, v in self.given_back.items()},
                "taxes": {str(rate): [str(taxable), str(tax)] for rate, (taxable, tax) in self.taxes.items()}}

    @classmethod
    def from_snapshot(cls, stream_id: str, state: dict) -> "TillSession":
        session = cls(stream_id)
        session.till_id, session.cashier, session.open = UUID(state["till_id"]), state["cashier"], state["open"]
        session.sales_count, session.refund_count = state["sales_count"], state["refund_count"]
        # Snapshots taken before voids and session times existed lack these: tolerate them.
        session.void_count = state.get("void_count", 0)
        session.opened_at = datetime.fromisoformat(state["opened_at"]) if state.get("opened_at") else None
        for name in cls._MONEY_FIELDS:
            setattr(session, name, Decimal(state.get(name, "0.00")))
        session.taken = {k: Decimal(v) for k, v in state["taken"].items()}
        session.given_back = {k: Decimal(v) for k, v in state["given_back"].items()}
        session.taxes = {Decimal(rate): [Decimal(taxable), Decimal(tax)]
                         for rate, (taxable, tax) in state.get("taxes", {}).items()}
        session.z_report = from_json(ZReport, state["z_report"]) if state.get("z_report") else None
        return session

    def state(self) -> dict:
        return {"id": self.id, "version": self.version, "till_id": str(self.till_id), "cashier": self.cashier,
                "status": "open" if self.open else "closed", "opening_float": str(self.opening_float),
                "expected_cash": str(self.expected("cash")), "expected_card": str(self.expected("card")),
                "sales_count": self.sales_count, "void_count": self.void_count}
