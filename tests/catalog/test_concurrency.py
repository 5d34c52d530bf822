"""Concurrent writers on real PostgreSQL: orders racing for the last units never over-reserve, and
two writers of one stream either conflict (409, nothing half-applied) or, where the handler may
re-decide, retry on fresh state.

Each thread uses its own database connection and closes it when done. Where a test needs both
writers to have read the same version before either appends, a third session holds a lock that
stalls them at the append (and the test waits until PostgreSQL shows both waiting)."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import psycopg
import pytest
from django.db import connection

from contexts.catalog import commands as c
from contexts.catalog.command_side import CategoryKey
from contexts.catalog.domain.reservation import reservation_stream_id
from contexts.catalog.domain.stock import StoreStock, stock_stream_id
from contexts.catalog.models import CategoryView, StoreEntry, StoreStockView
from infrastructure.aggregates.repository import Repository
from infrastructure.commands.bus import execute
from kernel.errors import ConcurrencyConflict
from infrastructure.outbox.relay import relay_pending
from tests.helpers import wait_until
from tests.helpers.stores import register_store

from .support import events_of, make_category, make_product, meta, product_row

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]

THREAD_TIMEOUT_S = 60


class Racers:
    """Run `fn(i)` in `n` threads that start together; collect results and errors per thread."""

    def __init__(self, n: int, fn):
        self.barrier = threading.Barrier(n, timeout=THREAD_TIMEOUT_S)
        self.results: dict[int, object] = {}
        self.errors: dict[int, BaseException] = {}
        self.fn = fn
        self.threads = [threading.Thread(target=self._main, args=(i,), name=f"racer-{i}", daemon=True)
                        for i in range(n)]

    def _main(self, i: int) -> None:
        try:
            self.barrier.wait()
            self.results[i] = self.fn(i)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            self.errors[i] = exc
        finally:
            connection.close()  # this thread's own connection

    def start(self) -> Racers:
        for thread in self.threads:
            thread.start()
        return self

    def join(self) -> Racers:
        for thread in self.threads:
            thread.join(THREAD_TIMEOUT_S)
        alive = [t.name for t in self.threads if t.is_alive()]
        assert not alive, f"threads still running after {THREAD_TIMEOUT_S}s: {alive}"
        return self

    def run(self) -> Racers:
        return self.start().join()


def load_stock(product_id, store_code: str = "S1") -> StoreStock:
    return Repository(StoreStock).get(stock_stream_id(product_id, store_code))


def flush_relay() -> None:
    """Publish whatever a relay that lost the race for the relay lock left pending."""
    relay_pending("catalog")


# --- the last units ---------------------------------------------------------------------------
def test_twenty_concurrent_orders_for_five_units_reserve_exactly_five():
    product_id = make_product(stock=5)
    orders = [uuid.uuid4() for _ in range(20)]

    def reserve(i):
        return execute(c.ReserveStock(order_id=orders[i], lines=(c.OrderLineQuantity(product_id, 1),)),
                       meta(f"racer-{i}"))

    racers = Racers(20, reserve).run()
    assert racers.errors == {}
    statuses = [racers.results[i]["status"] for i in range(20)]
    assert statuses.count("reserved") == 5 and statuses.count("rejected") == 15

    decisions = {order: events_of(reservation_stream_id(order)) for order in orders}
    assert all(len(events) == 1 for events in decisions.values())
    reserved = [o for o, events in decisions.items() if events[0][0] == "StockReserved"]
    rejected = [o for o, events in decisions.items() if events[0][0] == "StockReservationRejected"]
    assert len(reserved) == 5 and len(rejected) == 15
    for order in rejected:
        assert decisions[order][0][1]["lines"] == [{"product_id": str(product_id), "quantity": 1,
                                                    "reason": "insufficient_stock", "available": 0}]

    product = load_stock(product_id)
    assert (product.on_hand, product.reserved, product.available) == (5, 5, 0)
    assert set(product.reservations) == set(reserved)
    flush_relay()
    row = product_row(product_id)
    assert (row.on_hand, row.reserved, row.available) == (5, 5, 0)


def test_concurrent_multi_line_orders_never_over_reserve_any_product():
    a, b = make_product(stock=6), make_product(stock=4)
    orders = [uuid.uuid4() for _ in range(12)]

    def reserve(i):
        # Lines in both orders of the products, so lock order matters.
        lines = ((a, 1), (b, 1)) if i % 2 else ((b, 1), (a, 1))
        return execute(c.ReserveStock(order_id=orders[i], lines=tuple(c.OrderLineQuantity(p, q) for p, q in lines)),
                       meta())

    racers = Racers(12, reserve).run()
    assert racers.errors == {}
    statuses = [racers.results[i]["status"] for i in range(12)]
    assert statuses.count("reserved") == 4  # b runs out first; all or nothing per order
    product_a, product_b = load_stock(a), load_stock(b)
    assert (product_a.reserved, product_b.reserved) == (4, 4)
    assert set(product_a.reservations) == set(product_b.reservations)


def test_a_sale_racing_reservations_is_never_lost():
    product_id = make_product(stock=10)
    orders = [uuid.uuid4() for _ in range(10)]

    def act(i):
        if i == 0:
            return execute(c.RecordSale(order_id=uuid.uuid4(), lines=(c.OrderLineQuantity(product_id, 4),)), meta())
        return execute(c.ReserveStock(order_id=orders[i], lines=(c.OrderLineQuantity(product_id, 1),)), meta())

    racers = Racers(10, act).run()
    assert racers.errors == {}
    product = load_stock(product_id)
    reserved = sum(1 for i in range(1, 10) if racers.results[i]["status"] == "reserved")
    assert product.on_hand == 6 and product.reserved == reserved
    # Whatever the interleaving, the sale always counted, and each reservation found the units it
    # took available at that moment (the sale may take stock below what is reserved afterwards).
    on_hand = reserved_so_far = 0
    for event_type, data in events_of(stock_stream_id(product_id, "S1")):
        if "on_hand_after" in data:
            on_hand = data["on_hand_after"]
        if event_type == "ProductStockReserved":
            assert data["reserved_after"] == reserved_so_far + 1 and data["reserved_after"] <= on_hand
            reserved_so_far = data["reserved_after"]
    assert reserved_so_far == reserved
    flush_relay()
    row = product_row(product_id)
    assert (row.on_hand, row.reserved) == (6, reserved)


def test_orders_in_two_stores_for_their_last_units_never_oversell_either_store():
    """Per store: each store's units go to its own orders only, and a store's shortage never
    borrows from the other's stock."""
    register_store("NYC", "New York", time_zone="America/New_York")
    assert StoreEntry.objects.filter(code="NYC").exists()  # the catalog's copy, delivered in-process
    product_id = make_product(stock=3)  # in S1
    execute(c.ReceiveStock(product_id=product_id, quantity=2, store_code="NYC"), meta())
    orders = [uuid.uuid4() for _ in range(16)]
    stores = ["S1" if i % 2 else "NYC" for i in range(16)]

    def reserve(i):
        return execute(c.ReserveStock(order_id=orders[i], lines=(c.OrderLineQuantity(product_id, 1),),
                                      store_code=stores[i]), meta(f"racer-{i}"))

    racers = Racers(16, reserve).run()
    assert racers.errors == {}
    won = {store: sum(1 for i in range(16) if stores[i] == store and racers.results[i]["status"] == "reserved")
           for store in ("S1", "NYC")}
    assert won == {"S1": 3, "NYC": 2}
    s1, nyc = load_stock(product_id, "S1"), load_stock(product_id, "NYC")
    assert (s1.on_hand, s1.reserved, nyc.on_hand, nyc.reserved) == (3, 3, 2, 2)
    assert set(s1.reservations) == {orders[i] for i in range(16) if stores[i] == "S1"
                                    and racers.results[i]["status"] == "reserved"}
    flush_relay()
    row = product_row(product_id)
    assert (row.on_hand, row.reserved, row.available) == (5, 5, 0)
    assert sorted(StoreStockView.objects.filter(product_id=product_id).values_list("store_code", "available")) == [
        ("NYC", 0), ("S1", 0)]


# --- two writers of one stream ----------------------------------------------------------------
def _other_session():
    params = connection.settings_dict
    return psycopg.connect(host=params["HOST"], port=params["PORT"], dbname=params["NAME"], user=params["USER"],
                           password=params["PASSWORD"], connect_timeout=5)


class AppendGate:
    """Holds `LOCK es_event IN SHARE MODE` in a session of its own: readers go on, appenders wait.
    `open()` releases it. Always opened on exit."""

    def __init__(self):
        self.session = None

    def __enter__(self):
        self.session = _other_session()
        self.session.execute("SET lock_timeout = '60s'")
        self.session.execute("LOCK TABLE es_event IN SHARE MODE")  # the transaction stays open
        return self

    def waiting(self) -> int:
        with _other_session() as observer:
            row = observer.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> %s", [self.session.info.backend_pid]).fetchone()
        return row[0]

    def open(self):
        if self.session is not None:
            self.session.rollback()
            self.session.close()
            self.session = None

    def __exit__(self, *exc_info):
        self.open()


def test_two_concurrent_renames_one_wins_the_other_conflicts_and_leaves_no_trace():
    category_id = make_category("Drinks")
    names = ["Beverages", "Soft drinks"]

    with AppendGate() as gate:
        racers = Racers(2, lambda i: execute(c.RenameCategory(category_id=category_id, name=names[i]), meta()))
        racers.start()
        wait_until(lambda: gate.waiting() >= 2 or racers.errors, timeout=30, interval=0.05,
                   message="both renames to be stalled at the append")
        gate.open()
        racers.join()

    assert len(racers.results) == 1 and len(racers.errors) == 1, (racers.results, racers.errors)
    (winner,) = racers.results
    (error,) = racers.errors.values()
    assert isinstance(error, ConcurrencyConflict) and error.status == 409
    events = events_of(category_id)
    assert [t for t, _ in events] == ["CategoryCreated", "CategoryRenamed"]
    assert events[1][1]["name"] == names[winner]
    # The loser's uniqueness claim was rolled back with it; the read model shows the winner.
    assert CategoryKey.objects.get(category_id=category_id).name == names[winner]
    flush_relay()
    assert CategoryView.objects.get(id=category_id).name == names[winner]


def test_two_concurrent_price_changes_both_apply_in_turn_each_on_fresh_state():
    product_id = make_product(unit_price="5.00")
    prices = [Decimal("6.00"), Decimal("7.00")]

    with AppendGate() as gate:
        racers = Racers(2, lambda i: execute(c.ChangeProductPrice(product_id=product_id, unit_price=prices[i]), meta()))
        racers.start()
        wait_until(lambda: gate.waiting() >= 2 or racers.errors, timeout=30, interval=0.05,
                   message="both price changes to be stalled at the append")
        gate.open()
        racers.join()

    assert racers.errors == {}
    changes = [data for event_type, data in events_of(product_id) if event_type == "ProductPriceChanged"]
    assert len(changes) == 2
    # The second change was decided on the first one's state (it waited for the product's lock, or
    # retried after a version conflict): its old price is the first one's new price. Nothing lost.
    assert changes[0]["old_price"] == "5.00" and changes[1]["old_price"] == changes[0]["new_price"]
    assert {changes[0]["new_price"], changes[1]["new_price"]} == {"6.00", "7.00"}
    final = Decimal(changes[1]["new_price"])
    from contexts.catalog.domain.product import Product

    assert Repository(Product).get(product_id).unit_price == final
    flush_relay()
    assert product_row(product_id).unit_price == final
    # Each writer answered with the state it committed.
    assert sorted(r["version"] for r in racers.results.values()) == [2, 3]


def test_concurrent_stock_receipts_all_count():
    product_id = make_product()
    racers = Racers(8, lambda i: execute(c.ReceiveStock(product_id=product_id, quantity=i + 1), meta())).run()
    assert racers.errors == {}
    assert load_stock(product_id).on_hand == sum(range(1, 9))
    flush_relay()
    assert product_row(product_id).on_hand == 36
