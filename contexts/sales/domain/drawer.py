"""The drawer of one till session: the running totals its Z-report is made of, and the rules that
need them.

Sales, payments, refunds and voids change the drawer, not the session's stream: the drawer is kept
on the command side in one row per session (`TillDrawer`, contexts/sales/drawers.py), locked and
written in the same transaction as the order's events. The session's stream holds only what
happens to the session itself: it is opened, cash goes in or out, it is closed with its Z-report
(`TillSessionClosed`), computed here, once.

Streams recorded before the drawer existed also carry a `Session*Recorded` event for each sale,
payment, refund and void; `TillSession` folds them into a drawer through the `replay_*` methods
below (no rule is checked again on history), which is how such a session's row is made the first
time a command needs it (docs/sales.md, "One stream per sale")."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from kernel.errors import Conflict, DomainError
from kernel.money import to_money

from .events import MethodTotals, TaxLine, ZReport

ZERO = Decimal("0.00")
BUILT_IN_METHODS = ("cash", "card")
MAX_CASH = Decimal("1000000.00")


def clean_amount(value, field: str, *, allow_zero=True, allow_negative=False) -> Decimal:
    try:
        amount = to_money(value)
    except (TypeError, ValueError):
        raise DomainError("An amount such as 100.00 is needed.", field=field) from None
    if (amount < 0 and not allow_negative) or (amount == 0 and not allow_zero) or abs(amount) > MAX_CASH:
        raise DomainError("This amount is out of range.", field=field)
    return amount


class Drawer:
    """Money taken and given back per tender, sales, refunds and voids of one open session."""

    COUNTS = ("sales_count", "refund_count", "void_count")
    MONEY = ("opening_float", "cash_in", "cash_out", "gross", "discounts", "tax", "refunds", "refund_tax", "voids",
             "unapproved_refunds")

    def __init__(self, session_id: UUID, till_id: UUID, opening_float: Decimal = ZERO,
                 opened_at: datetime | None = None):
        self.session_id, self.till_id, self.opened_at = session_id, till_id, opened_at
        self.open = True
        self.opening_float = opening_float
        self.cash_in = self.cash_out = ZERO
        self.sales_count = self.refund_count = self.void_count = 0
        self.gross = self.discounts = self.tax = self.refunds = self.refund_tax = self.voids = ZERO
        self.unapproved_refunds = ZERO  # refunded without a manager's approval: the cashier limit's tally
        self.taken: dict[str, Decimal] = {}
        self.given_back: dict[str, Decimal] = {}
        self.taxes: dict[Decimal, list[Decimal]] = {}  # rate -> [taxable, tax], sales less refunds

    # -- what it holds ---------------------------------------------------------------------------
    def expected(self, method: str) -> Decimal:
        base = self.opening_float + self.cash_in - self.cash_out if method == "cash" else ZERO
        return base + self.taken.get(method, ZERO) - self.given_back.get(method, ZERO)

    @property
    def net(self) -> Decimal:
        return self.gross - self.discounts - self.refunds

    def ensure_open(self):
        if not self.open:
            raise Conflict("This till session is closed.", code="SessionClosed")

    def check_sale_time(self, placed_at: datetime, now: datetime, max_skew: timedelta):
        """An offline sale's time is believed only within this session, and at most `max_skew`
        ahead of the server's clock (a till's clock is never exact)."""
        # Tills send their clock to the second: a sale rung in the second the session opened is in it.
        if self.opened_at is not None and placed_at < self.opened_at.replace(microsecond=0):
            raise DomainError(f"placed_at {placed_at.isoformat()} is before this till session opened "
                              f"({self.opened_at.isoformat()}); a sale belongs to the session it is sold in.",
                              field="placed_at", code="PlacedAtOutsideSession")
        if placed_at > now + max_skew:
            raise DomainError(f"placed_at {placed_at.isoformat()} is in the future (server time {now.isoformat()}); "
                              "check the till's clock.", field="placed_at", code="PlacedAtInFuture")

    def check_cash_movement(self, amount: Decimal):
        if self.expected("cash") + amount < 0:
            raise DomainError(f"Only {self.expected('cash')} should be in the drawer; {-amount} cannot be taken out.",
                              field="amount", code="DrawerShort")

    # -- what goes through it (rules checked, then counted) ---------------------------------------
    def take(self, method: str, amount: Decimal):
        """A payment at this till (cash: what was kept, after change)."""
        self.ensure_open()
        self.replay_payment(method, amount)

    def sell(self, gross: Decimal, discounts: Decimal, tax: Decimal, taxes=()):
        """A sale completed at this till."""
        self.ensure_open()
        self.replay_sale(gross, discounts, tax, taxes)

    def refund(self, method: str, amount: Decimal, tax: Decimal, approved_by: str = "", taxes=()):
        """Money given back at this till; cash only as far as the drawer holds it."""
        self.ensure_open()
        if method == "cash" and amount > self.expected("cash"):
            raise DomainError(f"The drawer should hold only {self.expected('cash')}; refund by card or ask a manager.",
                              field="method", code="DrawerShort")
        self.replay_refund(method, amount, tax, approved_by, taxes)

    def void(self, total: Decimal, returned):
        """A sale of this till voided: counted apart (count and amount), its payments given back
        by method (`returned`: what the order's `OrderVoided` gave back)."""
        self.ensure_open()
        self.replay_void(total, [(payment.method, payment.amount) for payment in returned])

    # -- folding (history, and the checked methods above) -----------------------------------------
    def replay_cash_movement(self, amount: Decimal):
        if amount > 0:
            self.cash_in += amount
        else:
            self.cash_out -= amount

    def replay_payment(self, method: str, amount: Decimal):
        self.taken[method] = self.taken.get(method, ZERO) + amount

    def replay_sale(self, gross: Decimal, discounts: Decimal, tax: Decimal, taxes=()):
        self.sales_count += 1
        self.gross += gross
        self.discounts += discounts
        self.tax += tax
        self._add_taxes(taxes, 1)

    def replay_refund(self, method: str, amount: Decimal, tax: Decimal, approved_by: str = "", taxes=()):
        self._add_taxes(taxes, -1)
        self.refund_count += 1
        self.refunds += amount
        self.refund_tax += tax
        self.given_back[method] = self.given_back.get(method, ZERO) + amount
        if not approved_by:
            self.unapproved_refunds += amount

    def replay_void(self, total: Decimal, returned):
        self.void_count += 1
        self.voids += total
        for method, amount in returned:
            self.given_back[method] = self.given_back.get(method, ZERO) + amount

    def _add_taxes(self, taxes, sign: int):
        for line in taxes:
            taxable, tax = self.taxes.get(line.rate, (ZERO, ZERO))
            self.taxes[line.rate] = [taxable + sign * line.taxable, tax + sign * line.tax]

    # -- the Z-report ------------------------------------------------------------------------------
    def z_report(self, counted: dict, *, tenders=BUILT_IN_METHODS, z_number: int = 0) -> ZReport:
        """The session's Z-report, counting each tender: cash and card always, and every other
        tender this session took, gave back or was counted for (`tenders` are the codes a count
        may name)."""
        self.ensure_open()
        if "cash" not in counted:
            raise DomainError("Count the cash in the drawer to close the till.", field="counted.cash")
        for method in counted:
            if method not in tenders:
                raise DomainError(f"There is no tender {method!r} to count; count cash, card or a tender of the "
                                  "shop's.", field=f"counted.{method}", code="UnknownTender")
        used = {m for m, amount in [*self.taken.items(), *self.given_back.items()] if amount} | set(counted)
        methods = []
        for method in (*BUILT_IN_METHODS, *sorted(used - set(BUILT_IN_METHODS))):
            expected = self.expected(method)
            # Totals other than cash come from the terminal or the vouchers; when not given they
            # are taken as expected. They can be negative: refunds today of earlier sessions' sales.
            value = counted.get(method, expected)
            amount = clean_amount(value, f"counted.{method}", allow_negative=method != "cash")
            methods.append(MethodTotals(method=method, expected=expected, counted=amount, difference=amount - expected,
                                        taken=self.taken.get(method, ZERO),
                                        given_back=self.given_back.get(method, ZERO)))
        return ZReport(
            sales_count=self.sales_count, gross=self.gross, discounts=self.discounts, tax=self.tax,
            discount_total=self.discounts, tax_total=self.tax, refunds=self.refunds, refund_count=self.refund_count,
            refund_tax=self.refund_tax, net=self.net, opening_float=self.opening_float, cash_in=self.cash_in,
            cash_out=self.cash_out, methods=tuple(methods), cash_difference=methods[0].difference,
            void_count=self.void_count, voids=self.voids, z_number=z_number,
            taxes=tuple(TaxLine(rate=rate, taxable=taxable, tax=tax)
                        for rate, (taxable, tax) in sorted(self.taxes.items())))

    # -- as a row ----------------------------------------------------------------------------------
    def to_state(self) -> dict:
        """The drawer as the columns of its row (money as Decimal; maps as JSON-ready strings)."""
        return {"session_id": self.session_id, "till_id": self.till_id, "opened_at": self.opened_at,
                "open": self.open, **{name: getattr(self, name) for name in (*self.COUNTS, *self.MONEY)},
                "taken": {k: str(v) for k, v in self.taken.items()},
                "given_back": {k: str(v) for k, v in self.given_back.items()},
                "taxes": {str(rate): [str(taxable), str(tax)] for rate, (taxable, tax) in self.taxes.items()}}

    @classmethod
    def from_state(cls, state: dict) -> "Drawer":
        drawer = cls(state["session_id"], state["till_id"], Decimal(state["opening_float"]), state["opened_at"])
        drawer.open = state["open"]
        for name in cls.COUNTS:
            setattr(drawer, name, state[name])
        for name in cls.MONEY:
            setattr(drawer, name, Decimal(state[name]))
        drawer.taken = {k: Decimal(v) for k, v in state["taken"].items()}
        drawer.given_back = {k: Decimal(v) for k, v in state["given_back"].items()}
        drawer.taxes = {Decimal(rate): [Decimal(taxable), Decimal(tax)]
                        for rate, (taxable, tax) in state["taxes"].items()}
        return drawer

    def figures(self) -> dict:
        """The running figures an open session shows (the sessions' list and detail)."""
        return {"cash_in": self.cash_in, "cash_out": self.cash_out, "sales_count": self.sales_count,
                "gross": self.gross, "discounts": self.discounts, "tax": self.tax, "refunds": self.refunds,
                "refund_count": self.refund_count, "void_count": self.void_count, "voids": self.voids,
                "net": self.net, "expected_cash": self.expected("cash"), "expected_card": self.expected("card")}

    def state(self) -> dict:
        """What the answers of a session's commands show of it."""
        return {"expected_cash": str(self.expected("cash")), "expected_card": str(self.expected("card")),
                "sales_count": self.sales_count, "void_count": self.void_count}
