"""Events for the sales read side, built from the real event classes (so their shapes cannot
drift from the contracts) and wrapped in envelopes as the publishers would send them.

`Feed` numbers each stream's versions and keeps a clock (one minute per event), so a story
reads top to bottom. With `store=True` the events are also appended to the event store (for
the admin's history and for commands that load the aggregates); otherwise they exist only as
envelopes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal

from contexts.catalog.domain import events as catalog
from contexts.customers.domain import events as customers
from contexts.sales.domain import events as sales
from contexts.sales.domain.pricing import PriceEntry, price_line, totals
from contexts.sales.domain.till import TillSession
from contexts.stores.domain import events as stores
from infrastructure.consumers.inbox import apply_batch
from infrastructure.eventstore.databases import db_for
from infrastructure.personal_data.sealing import sealed_data
from infrastructure.eventstore.envelope import Envelope
from infrastructure.eventstore.store import EventStore

T0 = dt.datetime(2025, 3, 14, 9, 0, tzinfo=dt.timezone.utc)
D = Decimal

STREAM_TYPES = {
    "TillRegistered": "Till",
    **{name: "TillSession" for name in ("TillSessionOpened", "CashMovementRecorded", "SessionSaleRecorded",
                                        "SessionPaymentRecorded", "SessionRefundRecorded", "TillSessionClosed")},
    **{name: "Order" for name in ("OrderPlaced", "OrderConfirmed", "OrderCancelled", "PaymentRecorded",
                                  "OrderCompleted", "OrderShipped", "OrderRefunded")},
}


def stream_type_of(event) -> str:
    if event.context == "catalog":
        return "Product"
    if event.context == "customers":
        return "Customer"
    if event.context == "stores":
        return "Store"
    return STREAM_TYPES[type(event).__name__]


class Feed:
    def __init__(self, *, store: bool = False, user: str = "test-cashier", start: dt.datetime = T0):
        self.store = store
        self.user = user
        self.now = start
        self.versions: dict[str, int] = defaultdict(int)

    def tick(self, minutes: int = 1) -> dt.datetime:
        self.now += dt.timedelta(minutes=minutes)
        return self.now

    def __call__(self, event, stream_id) -> Envelope:
        """The envelope of `event` as the next event of stream `stream_id`."""
        stream_id = str(stream_id)
        self.versions[stream_id] += 1
        version = self.versions[stream_id]
        recorded_at = self.tick()
        metadata = {"correlation_id": uuid.uuid4().hex, "user": self.user}
        if self.store:
            (envelope,) = EventStore(event.context).append(stream_type_of(event), stream_id, version - 1, [event],
                                                           metadata=metadata, recorded_at=recorded_at)
            return envelope
        return Envelope(event_id=uuid.uuid4(), source_context=event.context, stream_type=stream_type_of(event),
                        stream_id=stream_id, version=version, event_type=type(event).__name__,
                        schema_version=type(event).schema_version,
                        data=sealed_data(event.context, event, db_for(event.context)), metadata=metadata,
                        recorded_at=recorded_at)

    def again(self, envelope: Envelope, *, new_id: bool = False) -> Envelope:
        """The same event delivered again: the same id (a redelivery) or, with `new_id`, the same
        stream version under a new id (as a second publication of the same fact would be)."""
        if not new_id:
            return envelope
        return dataclasses.replace(envelope, event_id=uuid.uuid4())


def apply(*envelopes: Envelope):
    return apply_batch("sales", list(envelopes))


# --- catalog and customers --------------------------------------------------------------------
def product_created(*, sku: str, name: str, price: str, rate: str, includes_tax: bool = True,
                    barcode: str | None = None, product_id=None) -> catalog.ProductCreated:
    return catalog.ProductCreated(product_id=product_id or uuid.uuid4(), sku=sku, barcode=barcode, name=name,
                                  category_id=None, unit_price=D(price), tax_rate=D(rate),
                                  price_includes_tax=includes_tax, low_stock_threshold=3)


def price_entry(product: catalog.ProductCreated) -> PriceEntry:
    return PriceEntry(product_id=product.product_id, sku=product.sku, name=product.name,
                      unit_price=product.unit_price, tax_rate=product.tax_rate,
                      price_includes_tax=product.price_includes_tax, active=True)


def store_registered(code: str, name: str, *, time_zone: str = "UTC") -> stores.StoreRegistered:
    """Feed it on the store's stream (`contexts.stores.domain.store.stream_id_of(code)`)."""
    return stores.StoreRegistered(code=code, name=name, tax_id=f"TAX-{code}", time_zone=time_zone,
                                  address=stores.StoreAddress(line1="1 Test Street", line2="", city="Testing",
                                                              postal_code="", country="GB"),
                                  receipt_header="", receipt_footer="")


def customer_registered(name: str, customer_id=None) -> customers.CustomerRegistered:
    return customers.CustomerRegistered(customer_id=customer_id or uuid.uuid4(), name=name, phone=None,
                                        email=None, address=None)


def customer_updated(customer_id, name: str) -> customers.CustomerUpdated:
    return customers.CustomerUpdated(customer_id=customer_id, name=name, phone="+4912345", email=None,
                                     address=None)


# --- orders -----------------------------------------------------------------------------------
def order_lines(*specs) -> list[sales.OrderLine]:
    """`(product, quantity, discount_percent)` -> priced lines, numbered from 1 (the domain's pricing)."""
    return [price_line(no, price_entry(product), quantity, D(discount))
            for no, (product, quantity, discount) in enumerate(specs, start=1)]


def order_placed(*, number: str, lines, kind: str = "till", store_code: str = "S1", till_id=None,
                 session_id=None, cashier: str = "alice", customer_id=None, placed_at=None, ship_to=None,
                 order_id=None) -> sales.OrderPlaced:
    t = totals(lines)
    return sales.OrderPlaced(order_id=order_id or uuid.uuid4(), number=number, kind=kind, store_code=store_code,
                             till_id=till_id, session_id=session_id, cashier=cashier, customer_id=customer_id,
                             lines=tuple(lines), taxes=t.taxes, gross=t.gross, discount_total=t.discount_total,
                             subtotal=t.subtotal, tax_total=t.tax_total, total=t.total,
                             placed_at=placed_at or T0, ship_to=ship_to)


def payment(placed: sales.OrderPlaced, *, method: str, tendered: str, paid_before: str = "0.00",
            session_id=None) -> sales.PaymentRecorded:
    owed = placed.total - D(paid_before)
    kept = min(D(tendered), owed)
    return sales.PaymentRecorded(order_id=placed.order_id, payment_id=uuid.uuid4(), method=method, amount=kept,
                                 tendered=D(tendered), change=D(tendered) - kept, session_id=session_id,
                                 paid_total=D(paid_before) + kept)


def completed(placed: sales.OrderPlaced, *, paid: str, change: str, at=None) -> sales.OrderCompleted:
    return sales.OrderCompleted(order_id=placed.order_id, number=placed.number, kind=placed.kind,
                                store_code=placed.store_code, till_id=placed.till_id, session_id=placed.session_id,
                                cashier=placed.cashier, customer_id=placed.customer_id, lines=placed.lines,
                                gross=placed.gross, discount_total=placed.discount_total,
                                tax_total=placed.tax_total, total=placed.total, paid=D(paid), change=D(change),
                                completed_at=at or T0 + dt.timedelta(minutes=5))


def refunded(placed: sales.OrderPlaced, *items, method: str, reason: str = "", cashier: str = "alice",
             session_id=None, till_id=None) -> sales.OrderRefunded:
    """`items`: `(line_no, quantity, amount, tax)`."""
    lines = {line.line_no: line for line in placed.lines}
    refund_lines = tuple(sales.RefundLine(line_no=no, product_id=lines[no].product_id, quantity=qty,
                                          amount=D(amount), tax=D(tax)) for no, qty, amount, tax in items)
    return sales.OrderRefunded(order_id=placed.order_id, refund_id=uuid.uuid4(), customer_id=placed.customer_id,
                               session_id=session_id, till_id=till_id, method=method, lines=refund_lines,
                               total=sum((line.amount for line in refund_lines), D("0.00")),
                               tax=sum((line.tax for line in refund_lines), D("0.00")), cashier=cashier,
                               reason=reason)


SHIP_TO = sales.ShipTo(name="Ada Lovelace", address="12 St James's Square", city="London", postal_code="SW1Y 4JH",
                       country="GB")


# --- a till session ---------------------------------------------------------------------------
class SessionStory:
    """A till, a session with cash movements, one sale paid by card and cash, one cash refund."""

    def __init__(self, feed: Feed):
        self.feed = feed
        self.till_id, self.session_id = uuid.uuid4(), uuid.uuid4()
        self.order_id = uuid.uuid4()
        self.events: list = []  # the session's event objects, for the domain's own Z-report
        sid, oid = self.session_id, self.order_id
        self.registered = feed(sales.TillRegistered(till_id=self.till_id, name="Front till", store_code="S1",
                                                    store_name="Main Street"), self.till_id)
        self.opened = self._session(sales.TillSessionOpened(
            session_id=sid, till_id=self.till_id, store_code="S1", cashier="alice", opening_float=D("100.00"),
            opened_at=T0))
        self.cash_in = self._session(sales.CashMovementRecorded(session_id=sid, till_id=self.till_id,
                                                                amount=D("50.00"), reason="float top-up",
                                                                cashier="alice"))
        self.trading = [
            self._session(sales.CashMovementRecorded(session_id=sid, till_id=self.till_id, amount=D("-30.00"),
                                                     reason="bank drop", cashier="alice")),
            self._session(sales.SessionPaymentRecorded(session_id=sid, order_id=oid, payment_id=uuid.uuid4(),
                                                       method="card", amount=D("20.00"))),
            self._session(sales.SessionPaymentRecorded(session_id=sid, order_id=oid, payment_id=uuid.uuid4(),
                                                       method="cash", amount=D("15.34"))),
            self._session(sales.SessionSaleRecorded(session_id=sid, order_id=oid, gross=D("37.84"),
                                                    discount_total=D("2.50"), tax_total=D("4.59"),
                                                    total=D("35.34"))),
            self._session(sales.SessionRefundRecorded(session_id=sid, order_id=oid, refund_id=uuid.uuid4(),
                                                      method="cash", amount=D("11.25"), tax=D("1.88"))),
        ]

    def _session(self, event):
        self.events.append(event)
        return self.feed(event, self.session_id)

    def close(self, counted_cash: str):
        """The closing event as the domain computes it from the session's own events."""
        session = TillSession.replay(str(self.session_id), self.events)
        session.close({"cash": D(counted_cash)}, "alice", T0.replace(hour=18))
        (closed,) = session.collect_pending()
        return self._session(closed), closed.z_report
