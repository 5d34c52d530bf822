"""Two shops of one chain on the real services, through Kafka: Berlin (Europe/Berlin, UTC+1 in
December) and New York (America/New_York, UTC-5). Goods in at each, till sales just before and
just after each shop's own midnight, a refund, a transfer from Berlin to New York with one unit
lost on the way, and a stocktake in New York. The outbox is relayed to Kafka and the catalog,
sales and reporting consumers apply it (tests/helpers/kafka_pipeline.py); a test clock says
when each thing happens, so the local days and hours are facts of the story:

  2026-12-01 21:00 UTC  goods in: Berlin 20 TEA at 2.00, New York 10 at 2.50
  22:50 UTC = Berlin 23:50 on 1 Dec   B1 2 TEA 10.00 cash
  23:10 UTC = Berlin 00:10 on 2 Dec   B2 1 TEA  5.00 card
  04:50 UTC on 2 Dec = New York 23:50 on 1 Dec   N1 3 TEA 15.00 cash
  05:10 UTC = New York 00:10 on 2 Dec            N2 1 TEA  5.00 card
  08:00 UTC = Berlin 09:00 on 2 Dec   R1 1 TEA of B1 back, 5.00 cash
  09:00 UTC  Berlin sends New York 5 TEA; 15:00 UTC New York counts 4 in (1 short)
  16:00 UTC  New York's stocktake counts 9 TEA (10 expected): -1

What a person in each shop writes down: Berlin sold 10.00 on 1 Dec (hour 23) and 5.00 on 2 Dec
(hour 0) and gave back 5.00 on 2 Dec (hour 9); New York sold 15.00 on 1 Dec (hour 23) and 5.00 on
2 Dec (hour 0). Stock: Berlin 20 - 2 - 1 + 1 - 5 = 13; New York 10 - 3 - 1 + 4 - 1 = 9. A rebuild
of the catalog's and reporting's projections gives the same rows."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from contexts.catalog.models import StoreStockView
from contexts.reporting import reports
from contexts.reporting.models import DailySales, HourlySales, StockEntry
from contexts.sales.models import PriceListEntry, TillView
from tests.helpers import wait_until
from tests.helpers.auth import at_till
from tests.helpers.stores import register_store
from tests.reporting.story import Clock
from tests.sales.support import make_product, make_till, sale_body
from tests.helpers.kafka_pipeline import pipeline  # noqa: F401  (the relay pump and the consumers)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
UTC = dt.timezone.utc
DEC1, DEC2 = dt.date(2026, 12, 1), dt.date(2026, 12, 2)
CATALOG = "/api/v1/catalog"
WAIT_S = 90


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), (
        response.status_code, response.content[:800])
    return response.json()


@pytest.fixture
def clock(monkeypatch):
    fake = Clock(dt.datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    monkeypatch.setattr(timezone, "now", fake)
    return fake


def store_rows(model, product_id):
    return sorted(model.objects.filter(product_id=product_id).values_list("store_code", "on_hand"))


def test_two_stores_in_two_time_zones_through_kafka(clock, pipeline, api_client, cashier_user, manager_user):  # noqa: F811
    register_store("BER", "Berlin", time_zone="Europe/Berlin")
    register_store("NYC", "New York", time_zone="America/New_York")
    tea = make_product("TS-TEA", "5.00", tax="10")
    berlin, new_york = make_till("Berlin 1", store="BER"), make_till("New York 1", store="NYC")
    wait_until(lambda: PriceListEntry.objects.filter(product_id=tea).exists()
               and TillView.objects.filter(till_id__in=[berlin, new_york]).count() == 2,
               timeout=WAIT_S, message="sales' price list and tills via Kafka")
    manager = APIClient(REMOTE_ADDR=api_client.client_ip)
    manager.force_authenticate(manager_user)
    cashier = api_client

    clock.at(DEC1, "21:00")
    for store, quantity, cost in (("BER", 20, "2.00"), ("NYC", 10, "2.50")):
        ok(manager.post(f"{CATALOG}/goods-in/", {"store_code": store, "supplier": "Tea House", "lines": [
            {"product_id": str(tea), "quantity": quantity, "unit_cost": cost}]}, format="json"), 201)

    def sell(till, hhmm, day, quantity, method, amount):
        clock.at(day, hhmm)
        at_till(cashier, cashier_user, till)
        return ok(cashier.post("/api/v1/sales/orders/", sale_body(till, [(tea, quantity, None)], [(method, amount)]),
                               format="json", HTTP_IDEMPOTENCY_KEY=f"two-stores-{till}-{day}-{hhmm}"), 201)

    clock.at(DEC1, "22:00")
    ok(at_till(cashier, cashier_user, berlin).post(f"/api/v1/sales/tills/{berlin}/open/", {"opening_float": "50.00"},
                                                   format="json"), 201)
    b1 = sell(berlin, "22:50", DEC1, 2, "cash", "10.00")
    sell(berlin, "23:10", DEC1, 1, "card", "5.00")
    clock.at(DEC2, "04:00")
    ok(at_till(cashier, cashier_user, new_york).post(f"/api/v1/sales/tills/{new_york}/open/",
                                                     {"opening_float": "50.00"}, format="json"), 201)
    sell(new_york, "04:50", DEC2, 3, "cash", "15.00")
    sell(new_york, "05:10", DEC2, 1, "card", "5.00")

    clock.at(DEC2, "08:00")
    ok(at_till(cashier, cashier_user, berlin).post(f"/api/v1/sales/orders/{b1['id']}/refunds/", {
        "lines": [{"line_no": 1, "quantity": 1}], "method": "cash", "till_id": str(berlin)}, format="json"), 201)

    # the transfer: sent from Berlin once Berlin's sales have taken their stock
    wait_until(lambda: store_rows(StoreStockView, tea) == [("BER", 18), ("NYC", 6)], timeout=WAIT_S,
               message=f"the catalog's stock per store after the sales (last {store_rows(StoreStockView, tea)})")
    clock.at(DEC2, "09:00")
    transfer = ok(manager.post(f"{CATALOG}/transfers/", {"from_store": "BER", "to_store": "NYC", "reference": "TR-1",
                                                         "lines": [{"product_id": str(tea), "quantity": 5}]},
                               format="json"), 201)
    wait_until(lambda: manager.get(f"{CATALOG}/transfers/{transfer['id']}/").status_code == 200, timeout=WAIT_S,
               message="the transfer in the catalog's read model")
    clock.at(DEC2, "15:00")
    ok(manager.post(f"{CATALOG}/transfers/{transfer['id']}/receive/", {"lines": [
        {"product_id": str(tea), "quantity": 4}]}, format="json"))

    def transfer_state():
        body = manager.get(f"{CATALOG}/transfers/{transfer['id']}/").json()
        return body["status"], body["units_sent"], body["units_received"], body["difference"]

    wait_until(lambda: transfer_state() == ("received", 5, 4, 1), timeout=WAIT_S,
               message=f"the transfer received, one short (last {transfer_state()})")

    # the stocktake: New York's sheet expects what its stock is now (6 + 4)
    wait_until(lambda: store_rows(StoreStockView, tea) == [("BER", 13), ("NYC", 10)], timeout=WAIT_S,
               message=f"the stock after the transfer (last {store_rows(StoreStockView, tea)})")
    clock.at(DEC2, "16:00")
    sheet = ok(manager.post(f"{CATALOG}/stocktakes/", {"store_code": "NYC"}, format="json"), 201)
    assert [(line["product_id"], line["expected"]) for line in sheet["lines"]] == [(str(tea), 10)]
    wait_until(lambda: manager.get(f"{CATALOG}/stocktakes/{sheet['id']}/").status_code == 200, timeout=WAIT_S,
               message="the stocktake in the catalog's read model")
    ok(manager.post(f"{CATALOG}/stocktakes/{sheet['id']}/count/", {"reason": "monthly", "lines": [
        {"product_id": str(tea), "counted_quantity": 9}]}, format="json"))

    # stock per store = goods in - sold + refunded +- transfers +- adjustments, in both read models
    expected_stock = [("BER", 20 - 2 - 1 + 1 - 5), ("NYC", 10 - 3 - 1 + 4 - 1)]
    wait_until(lambda: store_rows(StoreStockView, tea) == expected_stock == store_rows(StockEntry, tea),
               timeout=WAIT_S, message=f"stock per store in catalog and reporting (last "
                                       f"{store_rows(StoreStockView, tea)} / {store_rows(StockEntry, tea)})")
    assert ok(manager.get(f"{CATALOG}/products/{tea}/"))["on_hand"] == 13 + 9  # the chain: the sum

    # each shop's own days and hours
    def days():
        return sorted((r.store_code, r.day, r.orders, r.total, r.refunds) for r in DailySales.objects.all())

    expected_days = [("BER", DEC1, 1, D("10.00"), D("0.00")), ("BER", DEC2, 1, D("5.00"), D("5.00")),
                     ("NYC", DEC1, 1, D("15.00"), D("0.00")), ("NYC", DEC2, 1, D("5.00"), D("0.00"))]
    wait_until(lambda: days() == expected_days, timeout=WAIT_S, message=f"daily sales per store (last {days()})")
    hours = sorted((r.store_code, r.day, r.hour, r.orders, r.refund_count) for r in HourlySales.objects.all())
    assert hours == [("BER", DEC1, 23, 1, 0), ("BER", DEC2, 0, 1, 0), ("BER", DEC2, 9, 0, 1),
                     ("NYC", DEC1, 23, 1, 0), ("NYC", DEC2, 0, 1, 0)]
    berlin_day2 = reports.daily_sales(reports.Period(DEC2, DEC2, store="BER"))["rows"]
    assert [(r["day"], r["total"], r["refunds"], r["time_zone"]) for r in berlin_day2] == [
        (DEC2, D("5.00"), D("5.00"), "Europe/Berlin")]

    # a rebuild from the inbox gives the same rows
    live = (store_rows(StoreStockView, tea), store_rows(StockEntry, tea), days(), hours)
    call_command("rebuild_projections", "--context", "catalog", "--no-progress")
    call_command("rebuild_projections", "--context", "reporting", "--no-progress")
    rebuilt_hours = sorted((r.store_code, r.day, r.hour, r.orders, r.refund_count) for r in HourlySales.objects.all())
    assert (store_rows(StoreStockView, tea), store_rows(StockEntry, tea), days(), rebuilt_hours) == live
