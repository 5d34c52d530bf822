"""Stock per product per store through the API and the read models: goods in at cost into two
stores, the store each sale, refund and delivery order takes its stock from, stock per store and
low stock per store, the store scope of managers, the stock valuation per store at cost, and
stock recorded before stock per store (the legacy store's pool) replaying to the same totals."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command

from contexts.catalog import commands as c
from contexts.catalog.domain.stock import stock_stream_id
from contexts.catalog.models import StockMovementView, StoreStockView
from contexts.reporting import reports
from contexts.reporting.models import ProductEntry, StockEntry
from infrastructure.access.models import StoreAssignment
from infrastructure.commands.bus import execute
from infrastructure.consumers.inbox import deliver
from infrastructure.eventstore.envelope import Envelope
from infrastructure.eventstore.models import StoredEvent
from tests.conftest import _make_user

from .support import API, assert_problem, catalog_tables, event_count, events_of, make_product, meta, product_row

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]


def store_manager(make_client, django_user_model, username: str, *codes):
    user = _make_user(django_user_model, username, group="manager")
    for code in codes:
        StoreAssignment.objects.create(user=user, store_code=code)
    return make_client(user)


def sales_event(order_id, version: int, event_type: str, **data) -> Envelope:
    return Envelope(event_id=uuid.uuid4(), source_context="sales", stream_type="Order", stream_id=str(order_id),
                    version=version, event_type=event_type, schema_version=1,
                    data={"order_id": str(order_id), **data}, metadata={"user": "cashier-1"},
                    recorded_at=dt.datetime.now(dt.UTC))


def consume(*envelopes):
    result = deliver("catalog", list(envelopes))
    assert result.dead == [], result.dead


def lines(*pairs):
    return [{"product_id": str(p), "quantity": q, "unit_price": "1.00"} for p, q in pairs]


def per_store(product_id) -> dict:
    return {row.store_code: (row.on_hand, row.reserved, row.available)
            for row in StoreStockView.objects.filter(product_id=product_id)}


# --- goods in at cost ---------------------------------------------------------------------------
def test_goods_in_with_many_lines_at_cost_into_a_store(manager, stores):
    coffee, tea = make_product(unit_price="9.90"), make_product(unit_price="4.50")
    response = manager.post(f"{API}/goods-in/", {
        "store_code": "ber", "supplier": "Roastery", "supplier_reference": "DN-1",
        "lines": [{"product_id": str(coffee), "quantity": 10, "unit_cost": "2.00"},
                  {"product_id": str(tea), "quantity": 4, "unit_cost": "1.10", "supplier": "Tea House",
                   "supplier_reference": "TH-9"},
                  {"product_id": str(coffee), "quantity": 5, "unit_cost": "3.20"}]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["store_code"], body["lines"]) == ("BER", 3)
    by_product = {s["product_id"]: s for s in body["stock"]}
    assert (by_product[str(coffee)]["on_hand"], by_product[str(coffee)]["average_cost"]) == (15, "2.40")
    assert (by_product[str(tea)]["on_hand"], by_product[str(tea)]["average_cost"]) == (4, "1.10")
    received = events_of(stock_stream_id(coffee, "BER"))
    assert [(d["quantity"], d["unit_cost"], d["average_cost_after"], d["supplier"], d["supplier_reference"])
            for _, d in received] == [(10, "2.00", "2.00", "Roastery", "DN-1"), (5, "3.20", "2.40", "Roastery", "DN-1")]
    (tea_received,) = events_of(stock_stream_id(tea, "BER"))
    assert (tea_received[1]["supplier"], tea_received[1]["supplier_reference"]) == ("Tea House", "TH-9")
    assert per_store(coffee) == {"BER": (15, 0, 15)} and product_row(coffee).on_hand == 15
    assert StoreStockView.objects.get(product_id=coffee).average_cost == Decimal("2.40")


@pytest.mark.parametrize("second_line, store_code, status, field", [
    ({"quantity": 0}, "BER", 400, "lines.1.quantity"),
    ({"quantity": 1, "unit_cost": "-0.01"}, "BER", 400, "lines.1.unit_cost"),
    ({"quantity": 1, "unit_cost": "lots"}, "BER", 400, "lines.1.unit_cost"),
    ({"quantity": 1, "product_id": "not-an-id"}, "BER", 400, "lines.1.product_id"),
    ({"quantity": 1}, "ZZZZ9", 422, "store_code"),
    ({"quantity": 1}, "not a code", 400, "store_code"),
])
def test_bad_goods_in_is_a_clear_problem_and_receives_nothing(manager, stores, second_line, store_code, status, field):
    good = make_product()
    events = event_count()
    response = manager.post(f"{API}/goods-in/", {"store_code": store_code, "lines": [
        {"product_id": str(good), "quantity": 3}, {"product_id": str(good), **second_line}]}, format="json")
    assert_problem(response, status, field)
    assert event_count() == events and product_row(good).on_hand == 0


def test_a_delivery_without_lines_is_refused(manager, stores):
    assert_problem(manager.post(f"{API}/goods-in/", {"store_code": "BER", "lines": []}, format="json"), 400, "lines")


def test_an_unknown_product_on_a_line_refuses_the_whole_delivery(manager, stores):
    good, missing = make_product(), uuid.uuid4()
    events = event_count()
    response = manager.post(f"{API}/goods-in/", {"store_code": "BER", "lines": [
        {"product_id": str(good), "quantity": 3}, {"product_id": str(missing), "quantity": 1}]}, format="json")
    assert_problem(response, 422, "lines.1.product_id", contains=str(missing))
    assert event_count() == events and product_row(good).on_hand == 0


def test_a_line_without_a_cost_is_received_at_the_products_cost_price(manager, stores):
    product_id = make_product()
    response = manager.patch(f"{API}/products/{product_id}/", {"cost_price": "1.50"}, format="json")
    assert response.status_code == 200 and response.json()["cost_price"] == "1.50"
    assert product_row(product_id).cost_price == Decimal("1.50")
    manager.post(f"{API}/goods-in/", {"store_code": "NYC", "lines": [{"product_id": str(product_id), "quantity": 4}]},
                 format="json")
    (received,) = events_of(stock_stream_id(product_id, "NYC"))
    assert (received[1]["unit_cost"], received[1]["average_cost_after"]) == ("1.50", "1.50")


# --- where sales take stock from ----------------------------------------------------------------
def test_each_store_sells_refunds_and_reserves_its_own_stock(manager, stores):
    product_id = make_product()
    for store, quantity in (("BER", 10), ("NYC", 3)):
        execute(c.ReceiveStock(product_id=product_id, quantity=quantity, store_code=store), meta())
    sale, delivery = uuid.uuid4(), uuid.uuid4()
    consume(sales_event(sale, 1, "OrderCompleted", kind="till", store_code="BER", lines=lines((product_id, 4))))
    consume(sales_event(sale, 2, "OrderRefunded", refund_id=str(uuid.uuid4()), lines=lines((product_id, 1))))
    assert per_store(product_id) == {"BER": (7, 0, 7), "NYC": (3, 0, 3)}  # the refund went back to Berlin

    # New York has 3: a delivery order for 5 there is refused, though Berlin has 7.
    consume(sales_event(delivery, 1, "OrderPlaced", kind="delivery", store_code="NYC", lines=lines((product_id, 5))))
    ((kind, data),) = events_of(f"reservation-{delivery}")
    assert kind == "StockReservationRejected" and data["lines"][0]["available"] == 3
    other = uuid.uuid4()
    consume(sales_event(other, 1, "OrderPlaced", kind="delivery", store_code="NYC", lines=lines((product_id, 2))))
    ((kind, data),) = events_of(f"reservation-{other}")
    assert (kind, data["store_code"]) == ("StockReserved", "NYC")
    consume(sales_event(other, 2, "OrderShipped", shipped_at="2026-12-02T10:00:00Z"))
    assert per_store(product_id) == {"BER": (7, 0, 7), "NYC": (1, 0, 1)}
    row = product_row(product_id)
    assert (row.on_hand, row.reserved, row.available) == (8, 0, 8)  # the sums over the stores

    # The API's views of it.
    stock = manager.get(f"{API}/products/{product_id}/stock/").json()
    assert (stock["on_hand"], stock["available"]) == (8, 8)
    assert [(s["store_code"], s["on_hand"], s["available"]) for s in stock["stores"]] == [("BER", 7, 7), ("NYC", 1, 1)]
    assert [s["store_code"] for s in manager.get(f"{API}/products/{product_id}/stock/",
                                                 {"store_code": "nyc"}).json()["stores"]] == ["NYC"]
    moves = manager.get(f"{API}/products/{product_id}/stock-movements/", {"store_code": "BER"}).json()["results"]
    assert [(m["store_code"], m["kind"], m["on_hand_delta"], m["on_hand_after"]) for m in moves] == [
        ("BER", "returned", 1, 7), ("BER", "sold", -4, 6), ("BER", "received", 10, 10)]
    listed = manager.get(f"{API}/stock/", {"store_code": "NYC"}).json()["results"]
    assert [(r["product_id"], r["on_hand"]) for r in listed] == [(str(product_id), 1)]


def test_low_stock_per_store_with_the_stores_own_threshold(manager, stores):
    product_id = make_product(low_stock_threshold=2, sku="LOW-PER-STORE")
    execute(c.ReceiveStock(product_id=product_id, quantity=10, store_code="BER"), meta())
    execute(c.ReceiveStock(product_id=product_id, quantity=2, store_code="NYC"), meta())

    def low(store):
        body = manager.get(f"{API}/stock/low-stock/", {"store_code": store}).json()
        return [(r["sku"], r["available"], r["low_stock_threshold"]) for r in body["results"]]

    assert low("NYC") == [("LOW-PER-STORE", 2, 2)] and low("BER") == []
    assert not product_row(product_id).is_low_stock  # 12 over the chain
    response = manager.post(f"{API}/products/{product_id}/store-threshold/",
                            {"store_code": "BER", "low_stock_threshold": 12}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["store_stock"]["low_stock_threshold"] == 12
    assert low("BER") == [("LOW-PER-STORE", 10, 12)]
    manager.post(f"{API}/products/{product_id}/store-threshold/", {"store_code": "BER", "low_stock_threshold": None},
                 format="json")
    assert low("BER") == []
    row = StoreStockView.objects.get(product_id=product_id, store_code="BER")
    assert (row.store_threshold, row.low_stock_threshold) == (None, 2)


# --- who may change which store's stock ---------------------------------------------------------
def test_a_store_manager_keeps_their_stores_stock_and_head_office_every_stores(
        make_client, django_user_model, manager, stores):
    product_id = make_product()
    berlin = store_manager(make_client, django_user_model, "ber-stock", "BER")
    ok = berlin.post(f"{API}/products/{product_id}/receive-stock/", {"quantity": 5, "store_code": "BER"},
                     format="json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["store_stock"] == {**ok.json()["store_stock"], "store_code": "BER", "on_hand": 5}
    events = event_count()
    for path, payload in (("receive-stock/", {"quantity": 5, "store_code": "NYC"}),
                          ("adjust-stock/", {"counted_quantity": 0, "reason": "count", "store_code": "NYC"}),
                          ("store-threshold/", {"store_code": "NYC", "low_stock_threshold": 3})):
        refused = berlin.post(f"{API}/products/{product_id}/{path}", payload, format="json")
        body = assert_problem(refused, 403)
        assert body["type"].endswith("/store-out-of-scope/") and "NYC" in body["detail"]
    refused = berlin.post(f"{API}/goods-in/", {"store_code": "NYC", "lines": [
        {"product_id": str(product_id), "quantity": 1}]}, format="json")
    assert refused.status_code == 403
    assert event_count() == events and per_store(product_id) == {"BER": (5, 0, 5)}
    assert manager.post(f"{API}/products/{product_id}/receive-stock/", {"quantity": 2, "store_code": "NYC"},
                        format="json").status_code == 200
    assert per_store(product_id) == {"BER": (5, 0, 5), "NYC": (2, 0, 2)}


def test_stock_in_a_store_the_catalog_has_not_heard_of_is_refused(manager, stores):
    product_id = make_product()
    body = assert_problem(manager.post(f"{API}/products/{product_id}/receive-stock/",
                                       {"quantity": 5, "store_code": "ZZZZ9"}, format="json"), 422, "store_code")
    assert body["type"].endswith("/unknown-store/")
    assert per_store(product_id) == {} and product_row(product_id).on_hand == 0


# --- valuation per store at cost ----------------------------------------------------------------
def test_stock_valuation_per_store_at_moving_average_cost(manager, stores):
    coffee = make_product(unit_price="9.90")
    execute(c.UpdateProduct(product_id=coffee, cost_price=Decimal("1.50")), meta())
    execute(c.ReceiveGoods(store_code="BER", lines=(c.GoodsInLine(coffee, 10, Decimal("2.00")),
                                                     c.GoodsInLine(coffee, 5, Decimal("3.20")))), meta())
    execute(c.ReceiveStock(product_id=coffee, quantity=4, store_code="NYC"), meta())  # at the cost price 1.50
    consume(sales_event(uuid.uuid4(), 1, "OrderCompleted", kind="till", store_code="BER", lines=lines((coffee, 3))))

    def valued(store=None):
        (row,) = [r for r in reports.stock_valuation(store=store)["rows"] if r["product_id"] == coffee]
        return row["on_hand"], row["cost_value"], row["value"]

    # Berlin: 12 left at (10 x 2.00 + 5 x 3.20) / 15 = 2.40 -> 28.80; New York: 4 at 1.50 -> 6.00.
    assert valued("BER") == (12, Decimal("28.80"), Decimal("118.80"))
    assert valued("NYC") == (4, Decimal("6.00"), Decimal("39.60"))
    assert valued() == (16, Decimal("34.80"), Decimal("158.40"))
    assert {(e.store_code, e.on_hand, e.average_cost) for e in StockEntry.objects.filter(product_id=coffee)} == {
        ("BER", 12, Decimal("2.40")), ("NYC", 4, Decimal("1.50"))}
    api = manager.get("/api/v1/reports/stock-valuation/", {"store_code": "BER"}).json()
    (row,) = [r for r in api["rows"] if r["product_id"] == str(coffee)]
    assert (row["on_hand"], row["cost_value"], row["cost_known"]) == (12, "28.80", True)


# --- stock recorded before stock per store ------------------------------------------------------
def _legacy(product_id, version: int, event_type: str, **data) -> StoredEvent:
    """A version-1 stock movement on the product's own stream, as recorded before stock per store."""
    return StoredEvent.objects.create(
        event_id=uuid.uuid4(), context="catalog", stream_type="Product", stream_id=str(product_id), version=version,
        event_type=event_type, schema_version=1, data={"product_id": str(product_id), **data},
        metadata={"user": "before"}, recorded_at=dt.datetime.now(dt.UTC))


def test_a_product_stream_with_old_stock_replays_into_the_legacy_store_and_rebuild_equals_live(stores):
    product_id = make_product(sku="OLD-POOL")
    held_for = uuid.uuid4()
    old = [_legacy(product_id, 2, "StockReceived", quantity=10, supplier_reference="PO-0", on_hand_after=10),
           _legacy(product_id, 3, "StockSold", order_id=str(uuid.uuid4()), quantity=3, on_hand_after=7),
           _legacy(product_id, 4, "ProductStockReserved", order_id=str(held_for), quantity=2, reserved_after=2)]
    deliver("catalog", [Envelope.from_stored(e) for e in old])
    deliver("reporting", [Envelope.from_stored(e) for e in old])
    assert per_store(product_id) == {"S1": (7, 2, 5)}  # the legacy store of these settings
    assert (product_row(product_id).on_hand, product_row(product_id).reserved) == (7, 2)
    assert [(m.store_code, m.kind) for m in StockMovementView.objects.filter(product_id=product_id)] == [
        ("S1", "received"), ("S1", "sold"), ("S1", "reserved")]
    assert (ProductEntry.objects.get(product_id=product_id).on_hand,
            StockEntry.objects.get(product_id=product_id, store_code="S1").on_hand) == (7, 7)

    # The first new movement in S1 carries the pool over; New York starts from nothing.
    execute(c.RecordSale(order_id=uuid.uuid4(), lines=(c.OrderLineQuantity(product_id, 1),), store_code="S1"), meta())
    execute(c.ReceiveStock(product_id=product_id, quantity=4, store_code="NYC"), meta())
    assert [t for t, _ in events_of(stock_stream_id(product_id, "S1"))] == ["StockCarriedOver", "StockSold"]
    assert events_of(stock_stream_id(product_id, "S1"))[1][1]["on_hand_after"] == 6
    execute(c.ShipReservation(order_id=held_for), meta())  # no reservation stream: nothing to ship
    assert per_store(product_id) == {"S1": (6, 2, 4), "NYC": (4, 0, 4)}
    row = product_row(product_id)
    assert (row.on_hand, row.reserved, row.available) == (10, 2, 8)
    reporting = ProductEntry.objects.get(product_id=product_id)
    assert (reporting.on_hand, reporting.reserved) == (10, 2)

    before = catalog_tables()
    call_command("rebuild_projections", "--context", "catalog", "--no-progress")
    assert catalog_tables() == before


def test_movements_folded_in_one_batch_give_the_tables_that_one_at_a_time_gives(stores):
    """The projection applies a run of stock movements in one go (each store row and product read
    and written once); the tables must be those of applying the events one by one."""
    from contexts.catalog.models import CategoryView, ProductView
    from infrastructure.consumers.inbox import apply_batch
    from infrastructure.consumers.models import InboxEvent

    coffee, tea = make_product(low_stock_threshold=3), make_product()
    execute(c.ReceiveGoods(store_code="BER", lines=(c.GoodsInLine(coffee, 10, Decimal("2.00")),
                                                     c.GoodsInLine(tea, 4, Decimal("1.00")))), meta())
    execute(c.ReceiveStock(product_id=coffee, quantity=5, store_code="NYC", unit_cost=Decimal("3.00")), meta())
    for store in ("BER", "NYC", "BER"):
        execute(c.RecordSale(order_id=uuid.uuid4(), store_code=store,
                             lines=(c.OrderLineQuantity(coffee, 2), c.OrderLineQuantity(tea, 1))), meta())
    execute(c.AdjustStock(product_id=coffee, counted_quantity=3, reason="count", store_code="BER"), meta())
    execute(c.ReceiveGoods(store_code="BER", lines=(c.GoodsInLine(coffee, 6, Decimal("2.60")),)), meta())

    events = [Envelope.from_stored(row) for row in StoredEvent.objects.filter(context="catalog").order_by("position")]

    def afresh():
        InboxEvent.objects.filter(consumer="catalog", source_context="catalog").delete()
        for model in (CategoryView, ProductView, StoreStockView, StockMovementView):
            model.objects.all().delete()

    afresh()
    for event in events:
        apply_batch("catalog", [event])
    one_at_a_time = catalog_tables()
    afresh()
    apply_batch("catalog", events)
    assert catalog_tables() == one_at_a_time
    # BER coffee: 10 - 2 - 2 = 6, counted 3, +6 = 9; NYC coffee 5 - 2 = 3; tea BER 4 - 2 = 2, NYC -1
    assert (per_store(coffee), per_store(tea)) == ({"BER": (9, 0, 9), "NYC": (3, 0, 3)},
                                                   {"BER": (2, 0, 2), "NYC": (-1, 0, -1)})
    assert ProductView.objects.get(id=coffee).on_hand == 12
