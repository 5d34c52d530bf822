"""Stocktakes: a count sheet for a store (or a category in it) listing what is expected, then the
counted quantities, each turned into an adjustment of that store's stock with the reason; lines
not counted stay; counted once; bad input changes nothing."""

import uuid

import pytest
from django.core.management import call_command

from contexts.catalog import commands as c
from contexts.catalog.domain.stock import stock_stream_id
from contexts.catalog.domain.stocktake import stocktake_stream_id
from contexts.catalog.models import StocktakeView, StoreStockView
from infrastructure.access.models import StoreAssignment
from infrastructure.commands.bus import execute
from tests.conftest import _make_user

from .support import API, assert_problem, catalog_tables, event_count, events_of, make_category, make_product, meta

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]


def on_hand(product_id, store) -> int:
    row = StoreStockView.objects.filter(product_id=product_id, store_code=store).first()
    return row.on_hand if row else 0


def test_a_count_sheet_for_a_category_in_a_store_counted_into_adjustments(manager, stores):
    drinks, food = make_category("Drinks"), make_category("Food")
    juice, water = make_product(category_id=drinks, sku="ST-JUICE"), make_product(category_id=drinks, sku="ST-WATER")
    bread = make_product(category_id=food)
    make_product(category_id=drinks, discontinued=True)  # not on the sheet
    for product_id, quantity in ((juice, 10), (water, 4), (bread, 7)):
        execute(c.ReceiveStock(product_id=product_id, quantity=quantity, store_code="BER"), meta())
    execute(c.ReceiveStock(product_id=juice, quantity=3, store_code="NYC"), meta())

    started = manager.post(f"{API}/stocktakes/", {"store_code": "BER", "category_id": str(drinks)}, format="json")
    assert started.status_code == 201, started.content
    sheet = started.json()
    assert sheet["status"] == "open"
    assert sorted((line["product_id"], line["expected"]) for line in sheet["lines"]) == sorted(
        [(str(juice), 10), (str(water), 4)])
    listed = manager.get(f"{API}/stocktakes/{sheet['id']}/").json()
    assert sorted(line["sku"] for line in listed["lines"]) == ["ST-JUICE", "ST-WATER"]

    counted = manager.post(f"{API}/stocktakes/{sheet['id']}/count/", {"reason": "year-end", "lines": [
        {"product_id": str(juice), "counted_quantity": 8}]}, format="json")  # water not counted
    assert counted.status_code == 200, counted.content
    assert (on_hand(juice, "BER"), on_hand(water, "BER"), on_hand(juice, "NYC"), on_hand(bread, "BER")) == (8, 4, 3, 7)
    (adjusted,) = [d for t, d in events_of(stock_stream_id(juice, "BER")) if t == "StockAdjusted"]
    assert (adjusted["delta"], adjusted["reason"], adjusted["on_hand_after"]) == (-2, "stocktake: year-end", 8)
    done = manager.get(f"{API}/stocktakes/{sheet['id']}/").json()
    assert (done["status"], done["reason"]) == ("counted", "year-end")
    assert {line["sku"]: (line["expected"], line["counted"], line["delta"]) for line in done["lines"]} == {
        "ST-JUICE": (10, 8, -2), "ST-WATER": (4, None, None)}
    assert_problem(manager.post(f"{API}/stocktakes/{sheet['id']}/count/", {"reason": "again", "lines": [
        {"product_id": str(juice), "counted_quantity": 1}]}, format="json"), 409)
    assert on_hand(juice, "BER") == 8

    before = catalog_tables()
    call_command("rebuild_projections", "--context", "catalog", "--no-progress")
    assert catalog_tables() == before
    assert StocktakeView.objects.get(id=sheet["id"]).status == "counted"


@pytest.mark.parametrize("count, status, field", [
    ({"reason": "  ", "lines": "OK"}, 400, "reason"),
    ({"reason": "count", "lines": "OTHER"}, 422, "lines.0.product_id"),
    ({"reason": "count", "lines": [{"counted_quantity": -1}]}, 400, "lines.0.counted_quantity"),
    ({"reason": "count", "lines": []}, 400, "lines"),
])
def test_a_bad_count_is_a_clear_problem_and_adjusts_nothing(manager, stores, count, status, field):
    product_id = make_product()
    execute(c.ReceiveStock(product_id=product_id, quantity=5, store_code="BER"), meta())
    sheet = execute(c.StartStocktake(stocktake_id=uuid.uuid4(), store_code="BER"), meta())
    lines = {"OK": [{"product_id": str(product_id), "counted_quantity": 1}],
             "OTHER": [{"product_id": str(uuid.uuid4()), "counted_quantity": 1}]}.get(count["lines"]) if isinstance(
        count["lines"], str) else [{"product_id": str(product_id), **line} for line in count["lines"]]
    events = event_count()
    assert_problem(manager.post(f"{API}/stocktakes/{sheet['id']}/count/", {**count, "lines": lines}, format="json"),
                   status, field)
    assert event_count() == events and on_hand(product_id, "BER") == 5
    assert [t for t, _ in events_of(stocktake_stream_id(sheet["id"]))] == ["StocktakeStarted"]


def test_a_store_manager_counts_only_their_store(make_client, django_user_model, stores):
    user = _make_user(django_user_model, "nyc-count", group="manager")
    StoreAssignment.objects.create(user=user, store_code="NYC")
    new_york = make_client(user)
    make_product()
    refused = new_york.post(f"{API}/stocktakes/", {"store_code": "BER"}, format="json")
    assert refused.status_code == 403 and refused.json()["type"].endswith("/store-out-of-scope/")
    berlin_sheet = execute(c.StartStocktake(stocktake_id=uuid.uuid4(), store_code="BER"), meta())
    refused = new_york.post(f"{API}/stocktakes/{berlin_sheet['id']}/count/", {"reason": "x", "lines": [
        {"product_id": berlin_sheet["lines"][0]["product_id"], "counted_quantity": 0}]}, format="json")
    assert refused.status_code == 403
    assert new_york.post(f"{API}/stocktakes/", {"store_code": "NYC"}, format="json").status_code == 201
