"""The catalog's reactions to sales events (consumer `catalog`, policy `StockPolicy`), fed with
hand-built sales envelopes through the inbox (`infrastructure.consumers.inbox.deliver`), as the
Kafka consumer would. The catalog's own events are then delivered in-process after commit
(embedded mode), so the read models are current when `deliver` returns.

Data shapes are the ones documented in contexts/catalog/policies.py."""

import datetime as dt
import uuid

import pytest
from django.core.management import call_command

from contexts.catalog import commands as c
from contexts.catalog.domain.reservation import reservation_stream_id
from contexts.catalog.domain.stock import stock_stream_id
from contexts.catalog.models import ProductView, StockMovementView
from infrastructure.commands.bus import execute
from infrastructure.consumers.inbox import apply_batch, deliver
from infrastructure.consumers.models import InboxEvent
from infrastructure.eventstore.envelope import Envelope
from infrastructure.eventstore.models import StoredEvent

from .support import (
    API,
    catalog_tables,
    event_count,
    event_types,
    events_of,
    make_product,
    meta,
    product_row,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]


class Order:
    """One order of the sales context, as its events would arrive (versions 1, 2, ...)."""

    def __init__(self, kind: str = "till", store_code: str = "S1"):
        self.order_id = uuid.uuid4()
        self.kind = kind
        self.store_code = store_code
        self.number = f"{store_code}-01-{uuid.uuid4().int % 1_000_000:06d}"  # the receipt's number
        self.version = 0

    def event(self, event_type: str, **data) -> Envelope:
        self.version += 1
        return Envelope(event_id=uuid.uuid4(), source_context="sales", stream_type="Order",
                        stream_id=str(self.order_id), version=self.version, event_type=event_type, schema_version=1,
                        data={"order_id": str(self.order_id), **data},
                        metadata={"correlation_id": f"corr-{self.order_id.hex[:8]}", "till": "till-3",
                                  "user": "cashier-1"},
                        recorded_at=dt.datetime.now(dt.UTC))

    @staticmethod
    def lines(*pairs) -> list[dict]:
        return [{"product_id": str(product_id), "quantity": quantity, "unit_price": "1.00"}
                for product_id, quantity in pairs]

    def placed(self, *pairs) -> Envelope:
        return self.event("OrderPlaced", kind=self.kind, store_code=self.store_code, number=self.number,
                          lines=self.lines(*pairs))

    def completed(self, *pairs) -> Envelope:
        return self.event("OrderCompleted", kind=self.kind, store_code=self.store_code, number=self.number,
                          lines=self.lines(*pairs))

    def refunded(self, refund_id, *pairs) -> Envelope:
        return self.event("OrderRefunded", refund_id=str(refund_id), lines=self.lines(*pairs))

    def cancelled(self) -> Envelope:
        return self.event("OrderCancelled", reason="customer changed their mind")

    def shipped(self) -> Envelope:
        return self.event("OrderShipped")


def consume(*envelopes):
    result = deliver("catalog", list(envelopes))
    assert result.dead == [], result.dead
    return result


def stock(product_id) -> tuple[int, int, int]:
    row = product_row(product_id)
    return row.on_hand, row.reserved, row.available


def in_s1(product_id) -> str:
    """The stream of the product's stock in store S1 (the legacy store of the test settings)."""
    return stock_stream_id(product_id, "S1")


def reservation_events(order: Order) -> list[tuple[str, dict]]:
    return events_of(reservation_stream_id(order.order_id))


def assert_ledger_matches(*product_ids):
    for product_id in product_ids:
        row = product_row(product_id)
        movements = StockMovementView.objects.filter(product_id=product_id)
        assert sum(m.on_hand_delta for m in movements) == row.on_hand
        assert sum(m.reserved_delta for m in movements) == row.reserved
        assert row.available == row.on_hand - row.reserved


# --- till sales -------------------------------------------------------------------------------
def test_a_completed_till_sale_takes_stock_down(cashier):
    coffee, water = make_product(stock=10), make_product(stock=30)
    order = Order("till")
    result = consume(order.completed((coffee, 2), (water, 6), (coffee, 1)))  # coffee on two lines
    assert result.applied == 1
    assert stock(coffee) == (7, 0, 7) and stock(water) == (24, 0, 24)
    sold = events_of(in_s1(coffee))[-1]
    assert sold == ("StockSold", {"product_id": str(coffee), "store_code": "S1", "order_id": str(order.order_id),
                                  "quantity": 3, "on_hand_after": 7, "order_number": order.number})
    assert product_row(coffee).last_movement_kind == "sold"
    # Who and why: the policy's metadata names the sales event that caused it.
    stored = StoredEvent.objects.filter(stream_id=in_s1(coffee)).order_by("-version").first()
    assert stored.metadata["causation_id"] == str(InboxEvent.objects.get(consumer="catalog", source_context="sales")
                                                  .event_id)
    assert stored.metadata["correlation_id"] == f"corr-{order.order_id.hex[:8]}"
    assert stored.metadata["user"] == "policy:sales" and stored.metadata["till"] == "till-3"
    assert_ledger_matches(coffee, water)


def test_a_till_sale_can_take_stock_below_zero_and_it_shows_as_low_stock(cashier):
    product_id = make_product(stock=2, low_stock_threshold=0)
    assert not product_row(product_id).is_low_stock
    consume(Order("till").completed((product_id, 5)))
    row = product_row(product_id)
    assert (row.on_hand, row.available, row.is_low_stock) == (-3, -3, True)
    low = cashier.get(f"{API}/products/low-stock/").json()
    assert [(p["id"], p["on_hand"]) for p in low["results"]] == [(str(product_id), -3)]
    assert_ledger_matches(product_id)


def test_a_refund_puts_stock_back(cashier):
    product_id = make_product(stock=10)
    order, refund_id = Order("till"), uuid.uuid4()
    consume(order.completed((product_id, 4)))
    consume(order.refunded(refund_id, (product_id, 3)))
    assert stock(product_id) == (9, 0, 9)
    assert events_of(in_s1(product_id))[-1] == ("StockReturned", {
        "product_id": str(product_id), "store_code": "S1", "order_id": str(order.order_id),
        "refund_id": str(refund_id), "quantity": 3, "on_hand_after": 9, "order_number": order.number})
    sold, returned = StockMovementView.objects.filter(product_id=product_id).order_by("-id")[:2][::-1]
    # the ledger names the receipt, as the cashier and the customer know the sale
    assert (sold.kind, sold.on_hand_delta, sold.reference) == ("sold", -4, order.number)
    assert (returned.kind, returned.on_hand_delta, returned.reference) == ("returned", 3, order.number)
    assert_ledger_matches(product_id)


def test_a_sale_or_refund_of_a_product_the_catalog_does_not_know_changes_nothing():
    known = make_product(stock=5)
    events_before = event_count()
    order = Order("till")
    consume(order.completed((uuid.uuid4(), 1), (known, 1)))
    consume(order.refunded(uuid.uuid4(), (uuid.uuid4(), 1)))
    assert stock(known) == (4, 0, 4)
    assert event_count() == events_before + 1


def test_placing_a_till_order_reserves_nothing_and_completing_a_delivery_order_sells_nothing():
    product_id = make_product(stock=5)
    till = Order("till")
    consume(till.placed((product_id, 2)))
    delivery = Order("delivery")
    consume(delivery.placed((product_id, 2)))
    consume(delivery.completed((product_id, 2)))  # paid; the stock leaves with the shipment
    assert stock(product_id) == (5, 2, 3)
    assert reservation_events(till) == []
    assert [t for t, _ in reservation_events(delivery)] == ["StockReserved"]


# --- the reservation saga ---------------------------------------------------------------------
def test_a_delivery_order_reserves_every_line():
    coffee, water = make_product(stock=10), make_product(stock=4)
    order = Order("delivery")
    consume(order.placed((coffee, 3), (water, 4), (coffee, 2)))
    assert stock(coffee) == (10, 5, 5) and stock(water) == (4, 4, 0)
    ((event_type, data),) = reservation_events(order)
    assert event_type == "StockReserved"
    assert data["order_id"] == str(order.order_id)
    assert sorted((line["product_id"], line["quantity"]) for line in data["lines"]) == sorted(
        [(str(coffee), 5), (str(water), 4)])
    assert events_of(in_s1(coffee))[-1] == ("ProductStockReserved", {
        "product_id": str(coffee), "store_code": "S1", "order_id": str(order.order_id), "quantity": 5,
        "reserved_after": 5})
    assert product_row(water).is_low_stock  # nothing left to sell
    assert_ledger_matches(coffee, water)


def test_insufficient_stock_rejects_the_order_and_reserves_nothing():
    plenty, scarce = make_product(stock=10), make_product(stock=2)
    order = Order("delivery")
    consume(order.placed((plenty, 1), (scarce, 3)))
    ((event_type, data),) = reservation_events(order)
    assert event_type == "StockReservationRejected"
    assert data["lines"] == [{"product_id": str(scarce), "quantity": 3, "reason": "insufficient_stock",
                              "available": 2}]
    assert stock(plenty) == (10, 0, 10) and stock(scarce) == (2, 0, 2)
    assert event_types(in_s1(plenty)) == ["StockReceived"]


def test_stock_reserved_by_another_order_is_not_available():
    product_id = make_product(stock=5)
    first, second = Order("delivery"), Order("delivery")
    consume(first.placed((product_id, 4)))
    consume(second.placed((product_id, 2)))
    assert reservation_events(first)[0][0] == "StockReserved"
    ((event_type, data),) = reservation_events(second)
    assert event_type == "StockReservationRejected"
    assert data["lines"] == [{"product_id": str(product_id), "quantity": 2, "reason": "insufficient_stock",
                              "available": 1}]
    assert stock(product_id) == (5, 4, 1)


def test_a_rejection_names_a_reason_per_failing_line():
    good, discontinued, scarce = make_product(stock=9), make_product(stock=9, discontinued=True), make_product(stock=1)
    unknown = uuid.uuid4()
    order = Order("delivery")
    consume(order.placed((good, 1), (discontinued, 1), (unknown, 2), (scarce, 5)))
    ((event_type, data),) = reservation_events(order)
    assert event_type == "StockReservationRejected"
    reasons = {line["product_id"]: (line["reason"], line["quantity"], line["available"]) for line in data["lines"]}
    assert reasons == {str(discontinued): ("discontinued", 1, 9), str(unknown): ("unknown_product", 2, None),
                       str(scarce): ("insufficient_stock", 5, 1)}
    for product_id in (good, discontinued, scarce):
        assert product_row(product_id).reserved == 0
        assert "ProductStockReserved" not in event_types(in_s1(product_id))


def test_cancelling_a_delivery_order_releases_its_reservation():
    a, b = make_product(stock=6), make_product(stock=6)
    order = Order("delivery")
    consume(order.placed((a, 2), (b, 6)))
    consume(order.cancelled())
    assert stock(a) == (6, 0, 6) and stock(b) == (6, 0, 6)
    assert [t for t, _ in reservation_events(order)] == ["StockReserved", "StockReleased"]
    released = reservation_events(order)[-1][1]
    assert sorted((line["product_id"], line["quantity"]) for line in released["lines"]) == sorted(
        [(str(a), 2), (str(b), 6)])
    assert event_types(in_s1(a))[-1] == "ProductReservationReleased"
    # Cancelling again (another cancellation event) finds nothing held.
    consume(order.cancelled())
    assert [t for t, _ in reservation_events(order)] == ["StockReserved", "StockReleased"]
    assert_ledger_matches(a, b)


def test_cancelling_a_rejected_or_unknown_order_changes_nothing():
    product_id = make_product(stock=1)
    rejected = Order("delivery")
    consume(rejected.placed((product_id, 5)))
    events_before = event_count()
    consume(rejected.cancelled(), Order("till").cancelled(), Order("delivery").shipped())
    assert event_count() == events_before
    assert stock(product_id) == (1, 0, 1)


def test_shipping_a_delivery_order_consumes_its_reserved_stock():
    product_id = make_product(stock=10, low_stock_threshold=2)
    order = Order("delivery")
    consume(order.placed((product_id, 7)))
    consume(order.completed((product_id, 7)))
    consume(order.shipped())
    assert stock(product_id) == (3, 0, 3)
    assert [t for t, _ in reservation_events(order)] == ["StockReserved", "ReservationFulfilled"]
    assert events_of(in_s1(product_id))[-1] == ("ReservedStockShipped", {
        "product_id": str(product_id), "store_code": "S1", "order_id": str(order.order_id), "quantity": 7,
        "on_hand_after": 3, "reserved_after": 0})
    # A cancellation after shipping releases nothing.
    consume(order.cancelled())
    assert stock(product_id) == (3, 0, 3)
    kinds = list(StockMovementView.objects.filter(product_id=product_id).order_by("id").values_list("kind", flat=True))
    assert kinds == ["received", "reserved", "shipped"]
    assert_ledger_matches(product_id)


def test_released_stock_can_be_reserved_by_the_next_order():
    product_id = make_product(stock=3)
    first, second = Order("delivery"), Order("delivery")
    consume(first.placed((product_id, 3)))
    consume(second.placed((product_id, 3)))
    assert reservation_events(second)[0][0] == "StockReservationRejected"
    consume(first.cancelled())
    third = Order("delivery")
    consume(third.placed((product_id, 3)))
    assert reservation_events(third)[0][0] == "StockReserved"
    assert stock(product_id) == (3, 3, 0)


# --- once only --------------------------------------------------------------------------------
def test_a_redelivered_event_has_one_effect():
    product_id = make_product(stock=10)
    order = Order("till")
    completed = order.completed((product_id, 4))
    assert consume(completed).applied == 1
    again = consume(completed)
    assert (again.applied, again.duplicates) == (0, 1)
    both = apply_batch("catalog", [completed, completed])
    assert (both.applied, both.duplicates) == ([], 2)
    assert stock(product_id) == (6, 0, 6)
    assert event_types(in_s1(product_id)).count("StockSold") == 1


def test_a_redelivered_order_placed_reserves_once():
    product_id = make_product(stock=10)
    order = Order("delivery")
    placed = order.placed((product_id, 4))
    consume(placed)
    consume(placed)
    # The same order announced again under a new event id: the reservation stream already decided.
    consume(order.placed((product_id, 4)))
    assert stock(product_id) == (10, 4, 6)
    assert [t for t, _ in reservation_events(order)] == ["StockReserved"]
    assert event_types(in_s1(product_id)).count("ProductStockReserved") == 1


def test_the_ledger_sums_to_on_hand_and_a_rebuild_reproduces_the_tables():
    a, b = make_product(stock=20, low_stock_threshold=5), make_product(stock=3, low_stock_threshold=1)
    execute(c.AdjustStock(product_id=a, counted_quantity=18, reason="count"), meta())
    till, delivery, cancelled = Order("till"), Order("delivery"), Order("delivery")
    consume(till.completed((a, 2), (b, 5)))
    consume(till.refunded(uuid.uuid4(), (b, 1)))
    consume(delivery.placed((a, 6)))
    consume(cancelled.placed((a, 4)))
    consume(cancelled.cancelled())
    consume(delivery.shipped())
    assert stock(a) == (10, 0, 10) and stock(b) == (-1, 0, -1)
    assert_ledger_matches(a, b)

    before = catalog_tables()
    call_command("rebuild_projections", "--context", "catalog", "--no-progress")
    assert catalog_tables() == before
    assert ProductView.objects.filter(is_low_stock=True).count() == 1
