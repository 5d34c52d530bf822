"""Tills (registered by a manager) and their sessions (opened, used and closed by a cashier)."""

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from kernel.aggregate import Aggregate
from kernel.errors import Conflict, DomainError

from .drawer import ZERO, Drawer, clean_amount
from .events import SALES, CashMovementRecorded, TillRegistered, TillSessionClosed, TillSessionOpened, ZReport

STORE_CODE = re.compile(r"^[A-Z0-9]{1,8}$")


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
    """One till between opening and closing: its stream holds the opening, cash going in or out
    and the close with its Z-report. The money of its sales is in its `drawer` (domain/drawer.py),
    a command-side row the handlers lock and write with each sale, payment, refund and void; they
    hand it to the session (`use`) for a cash movement or the close, whose rules need it."""

    context = SALES
    stream_type = "TillSession"

    def __init__(self, stream_id):
        super().__init__(stream_id)
        self.till_id: UUID | None = None
        self.cashier = ""
        self.open = False
        self.opened_at: datetime | None = None
        self.opening_float = ZERO
        # Folded from the stream (opening, cash movements, and the `Session*Recorded` events of
        # streams recorded before the drawer row existed), until `use` hands in the row's.
        self.drawer: Drawer | None = None
        self.z_report: ZReport | None = None

    def use(self, drawer: Drawer) -> "TillSession":
        """Take the drawer row's figures (the truth once the row exists) instead of the stream's."""
        self.drawer = drawer
        return self

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
        self.drawer.check_cash_movement(amount)
        self._record(CashMovementRecorded(session_id=self.uuid, till_id=self.till_id, amount=amount,
                                          reason=reason[:200], cashier=cashier))

    def close(self, counted: dict, cashier: str, at: datetime, tenders=("cash", "card"), z_number: int = 0):
        """The Z-report, computed once from the drawer, and published in `TillSessionClosed`."""
        self._ensure_open()
        report = self.drawer.z_report(counted, tenders=tenders, z_number=z_number)
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
        self.drawer = Drawer(self.uuid, e.till_id, e.opening_float, e.opened_at)

    def when_CashMovementRecorded(self, e):
        self.drawer.replay_cash_movement(e.amount)

    def when_TillSessionClosed(self, e):
        self.open, self.z_report = False, e.z_report
        self.drawer.open = False

    # Streams recorded before the drawer row: each sale's money was an event of the session.
    def when_SessionPaymentRecorded(self, e):
        self.drawer.replay_payment(e.method, e.amount)

    def when_SessionSaleRecorded(self, e):
        self.drawer.replay_sale(e.gross, e.discount_total, e.tax_total, e.taxes)

    def when_SessionRefundRecorded(self, e):
        self.drawer.replay_refund(e.method, e.amount, e.tax, e.approved_by, e.taxes)

    def when_SessionVoidRecorded(self, e):
        self.drawer.replay_void(e.total, [(returned.method, returned.amount) for returned in e.returned])

    def state(self) -> dict:
        return {"id": self.id, "version": self.version, "till_id": str(self.till_id), "cashier": self.cashier,
                "status": "open" if self.open else "closed", "opening_float": str(self.opening_float),
                **self.drawer.state()}
