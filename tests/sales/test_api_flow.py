"""The till's day through the API, in-process delivery (embedded mode's path): open, sell
(cash, card, split), refund, close; the Z-report, the catalog's stock and the customer's loyalty
points all follow from what happened."""

import uuid
import zoneinfo
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from contexts.catalog.models import ProductView
from contexts.sales.models import OrderView, TillSessionView
from infrastructure.eventstore.models import StoredEvent
from tests.helpers.auth import at_till
from tests.sales.support import make_product, make_till, sale_body, sell

pytestmark = pytest.mark.integration


def test_a_day_at_the_till(shop, manager_user):
    client, till = shop["client"], shop["till"]
    assert client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "100.00"}, format="json").status_code == 201

    cash = sell(client, sale_body(till, [(shop["coffee"], 2, None)], [("cash", "20.00")]))
    assert cash.status_code == 201, cash.json()
    cash = cash.json()
    assert (cash["status"], cash["total"], cash["paid"], cash["change"]) == ("completed", "9.98", "9.98", "10.02")
    assert cash["number"] == "S1-01-000001"  # the store's first till, its first receipt

    card = sell(client, sale_body(till, [(shop["soap"], 3, "10")], [("card", "5.80")])).json()
    # 3 x 2.15 = 6.45; 10 % = 0.645 -> 0.65 (half up)
    assert card["total"] == "5.80" and card["discount_total"] == "0.65" and card["status"] == "completed"

    split = sell(client, sale_body(till, [(shop["net"], 2, None), (shop["coffee"], 1, None)],
                                   [("card", "10.00"), ("cash", "30.00")])).json()
    assert split["total"] == "28.99" and split["change"] == "11.01"  # 2 x 10.00 + 20 % = 24.00; + 4.99

    refund = client.post(f"/api/v1/sales/orders/{split['id']}/refunds/",
                         {"lines": [{"line_no": 1, "quantity": 1}], "method": "cash", "till_id": str(till)},
                         format="json")
    assert refund.status_code == 201, refund.json()
    assert refund.json()["refunded"] == "12.00"
    # the answer says what this refund was: 1 x 12.00 (10.00 + 20 % tax, of which 2.00 tax), in cash
    assert {k: refund.json()["refund"][k] for k in ("method", "total", "tax", "approved_by")} == {
        "method": "cash", "total": "12.00", "tax": "2.00", "approved_by": ""}
    assert [(line["line_no"], line["quantity"], line["amount"]) for line in refund.json()["refund"]["lines"]] == [
        (1, 1, "12.00")]

    assert client.post(f"/api/v1/sales/tills/{till}/cash-movements/", {"amount": "-50.00", "reason": "bank drop"},
                       format="json").status_code == 200
    closed = client.post(f"/api/v1/sales/tills/{till}/close/", {"counted": {"cash": "87.00"}}, format="json")
    assert closed.status_code == 200, closed.json()
    z = closed.json()["z_report"]
    expected_cash = D("100.00") + D("9.98") + D("18.99") - D("12.00") - D("50.00")  # cash kept, minus refund and drop
    cash_line = next(m for m in z["methods"] if m["method"] == "cash")
    card_line = next(m for m in z["methods"] if m["method"] == "card")
    assert D(cash_line["expected"]) == expected_cash == D("66.97")
    assert D(z["cash_difference"]) == D("87.00") - expected_cash
    assert D(card_line["expected"]) == D("5.80") + D("10.00")
    assert z["sales_count"] == 3 and D(z["refunds"]) == D("12.00")
    assert D(z["gross"]) - D(z["discounts"]) == D("9.98") + D("5.80") + D("28.99")
    assert D(z["net"]) == D(z["gross"]) - D(z["discounts"]) - D("12.00")

    # read models followed: orders, the session's Z-report, the catalog's stock
    assert OrderView.objects.filter(status="completed").count() == 3
    session = TillSessionView.objects.get(status="closed")
    assert session.z_report["sales_count"] == 3 and D(session.z_report["cash_difference"]) == D("20.03")
    stock = {p.sku: p.on_hand for p in ProductView.objects.all()}
    assert stock == {"COF": 20 - 2 - 1, "SOAP": 10 - 3, "NET": 5 - 2 + 1}

    # after closing, the till sells nothing
    late = sell(client, sale_body(till, [(shop["coffee"], 1, None)], [("cash", "5.00")]))
    assert late.status_code == 409 and late.json()["errors"][0]["field"] == "till_id"


def test_idempotency_key_replays_the_first_answer_and_refuses_a_different_body(shop):
    client, till = shop["client"], shop["till"]
    client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "0.00"}, format="json")
    body = sale_body(till, [(shop["coffee"], 1, None)], [("cash", "5.00")])
    first = sell(client, body, key="till-1-order-0001")
    again = sell(client, body, key="till-1-order-0001")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert StoredEvent.objects.filter(event_type="OrderPlaced").count() == 1
    other = sell(client, sale_body(till, [(shop["coffee"], 2, None)], [("cash", "10.00")]), key="till-1-order-0001")
    assert other.status_code == 422 and other["Content-Type"] == "application/problem+json"
    assert StoredEvent.objects.filter(event_type="OrderPlaced").count() == 1
    missing = client.post("/api/v1/sales/orders/", body, format="json")
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "Idempotency-Key"


def test_a_retried_payment_or_cash_movement_with_its_key_is_applied_once(shop):
    client, till = shop["client"], shop["till"]
    client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "100.00"}, format="json")
    order = sell(client, sale_body(till, [(shop["coffee"], 3, None)])).json()  # 14.97, pay later
    pay_url = f"/api/v1/sales/orders/{order['id']}/payments/"
    part = {"payments": [{"method": "cash", "amount": "5.00"}], "till_id": str(till)}

    first = client.post(pay_url, part, format="json", HTTP_IDEMPOTENCY_KEY="pay-0001-till-1")
    again = client.post(pay_url, part, format="json", HTTP_IDEMPOTENCY_KEY="pay-0001-till-1")  # the answer was lost
    assert first.status_code == again.status_code == 200, again.json()
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert OrderView.objects.get(order_id=order["id"]).paid == D("5.00")  # taken once, not twice
    other = client.post(pay_url, {**part, "payments": [{"method": "cash", "amount": "6.00"}]}, format="json",
                        HTTP_IDEMPOTENCY_KEY="pay-0001-till-1")
    assert other.status_code == 422 and other["Content-Type"] == "application/problem+json"

    drop_url = f"/api/v1/sales/tills/{till}/cash-movements/"
    drop = {"amount": "-40.00", "reason": "bank drop"}
    for _ in range(2):
        answer = client.post(drop_url, drop, format="json", HTTP_IDEMPOTENCY_KEY="drop-0001-till-1")
        assert answer.status_code == 200, answer.json()
    assert StoredEvent.objects.filter(event_type="CashMovementRecorded").count() == 1
    closed = client.post(f"/api/v1/sales/tills/{till}/close/", {"counted": {"cash": "60.00"}, "void_unfinished": True},
                         format="json").json()
    cash_line = next(m for m in closed["z_report"]["methods"] if m["method"] == "cash")
    # the part-paid sale is voided at the close: its 5.00 goes back out of the drawer
    assert D(cash_line["expected"]) == D("100.00") + D("5.00") - D("40.00") - D("5.00")


def test_offline_order_keeps_the_tills_time(shop):
    client, till = shop["client"], shop["till"]
    client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "0.00"}, format="json")
    # sold offline a moment after the till opened, sent later: the sale keeps the till's time
    placed_at = (timezone.now() + timedelta(seconds=2)).replace(microsecond=0)
    body = sale_body(till, [(shop["coffee"], 1, None)], [("card", "4.99")], placed_at=placed_at.isoformat())
    order = sell(client, body).json()
    assert OrderView.objects.get(order_id=order["id"]).placed_at == placed_at


@pytest.mark.parametrize("case", ["no-session", "unknown-product", "discontinued", "card-overpay", "discount-limit",
                                  "bad-quantity", "no-lines"])
def test_bad_sales_are_clear_4xx_and_store_nothing(shop, case):
    from contexts.catalog import commands as cat
    from infrastructure.commands.bus import execute
    from tests.sales.support import META

    client, till = shop["client"], shop["till"]
    if case != "no-session":
        client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "0.00"}, format="json")
    if case == "discontinued":
        execute(cat.DiscontinueProduct(product_id=shop["soap"], reason="test"), META)
    before = StoredEvent.objects.filter(context="sales", event_type="OrderPlaced").count()
    bodies = {
        "no-session": (sale_body(till, [(shop["coffee"], 1, None)]), 409, "till_id"),
        "unknown-product": (sale_body(till, [(uuid.uuid4(), 1, None)]), 422, "lines.0.product_id"),
        "discontinued": (sale_body(till, [(shop["coffee"], 1, None), (shop["soap"], 1, None)]), 422,
                         "lines.1.product_id"),
        "card-overpay": (sale_body(till, [(shop["coffee"], 1, None)], [("card", "5.00")]), 422, "payments.0.amount"),
        "discount-limit": (sale_body(till, [(shop["coffee"], 1, "50")]), 403, "lines.0.discount_percent"),
        "bad-quantity": (sale_body(till, [(shop["coffee"], 0, None)]), 400, "lines.0.quantity"),
        "no-lines": (sale_body(till, []), 400, "lines"),
    }
    body, status, field = bodies[case]
    response = sell(client, body)
    assert response.status_code == status, response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert StoredEvent.objects.filter(context="sales", event_type="OrderPlaced").count() == before


def test_refund_rules_and_cashier_limit(shop, manager_user):
    client, till = shop["client"], shop["till"]
    client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "500.00"}, format="json")
    big = make_product("TV", "300.00", stock=2)
    order = sell(client, sale_body(till, [(big, 1, None), (shop["coffee"], 2, None)], [("card", "309.98")])).json()
    url = f"/api/v1/sales/orders/{order['id']}/refunds/"
    over = client.post(url, {"lines": [{"line_no": 2, "quantity": 3}]}, format="json")
    assert over.status_code == 422 and over.json()["errors"][0]["field"] == "lines.0.quantity"
    limit = client.post(url, {"lines": [{"line_no": 1, "quantity": 1}]}, format="json")
    assert limit.status_code == 403 and "limit" in limit.json()["detail"]
    client.force_authenticate(manager_user)  # a manager without a till names the till the money goes through
    ok = client.post(url, {"lines": [{"line_no": 1, "quantity": 1}], "till_id": str(till)}, format="json")
    assert ok.status_code == 201 and ok.json()["refunded"] == "300.00"
    again = client.post(url, {"lines": [{"line_no": 1, "quantity": 1}], "till_id": str(till)}, format="json")
    # what an earlier refund took back already is a conflict with the order's state
    assert again.status_code == 409 and "1 sold, 1 already refunded" in again.json()["detail"], again.json()
    assert ProductView.objects.get(id=big).on_hand == 2  # sold one, got it back


def test_pay_later_and_receipt(shop):
    client, till = shop["client"], shop["till"]
    client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "0.00"}, format="json")
    order = sell(client, sale_body(till, [(shop["coffee"], 3, None), (shop["soap"], 1, None)])).json()
    assert order["status"] == "placed" and order["remaining"] == "17.12"
    paid = client.post(f"/api/v1/sales/orders/{order['id']}/payments/",
                       {"payments": [{"method": "card", "amount": "10.00"}, {"method": "cash", "amount": "10.00"}],
                        "till_id": str(till)}, format="json")
    assert paid.status_code == 200 and paid.json()["status"] == "completed" and paid.json()["change"] == "2.88"
    text = client.get(f"/api/v1/sales/orders/{order['id']}/receipt/?format=text")
    assert text.status_code == 200 and text["Content-Type"].startswith("text/plain")
    body = text.content.decode()
    assert order["number"] in body and "17.12" in body and "2.88" in body
    assert max(len(line) for line in body.splitlines()) <= 40
    html = client.get(f"/api/v1/sales/orders/{order['id']}/receipt/?format=html")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html") and order["number"] in html.content.decode()
    receipt = client.get(f"/api/v1/sales/orders/{order['id']}/receipt/?format=json")
    assert receipt.status_code == 200 and receipt["Content-Type"].startswith("application/json")
    data = receipt.json()
    assert (data["number"], data["total"], data["change"], data["store"], data["till"]) == (
        order["number"], "17.12", "2.88",
        {"code": "S1", "name": "Main Street", "address": ["1 Test Street", "Testing", "GB"], "tax_id": "TAX-S1",
         "time_zone": "UTC"}, "Till 1")
    assert [(p["method"], p["amount"]) for p in data["payments"]] == [("Card", "10.00"), ("Cash", "10.00")]
    assert [(i["name"], i["quantity"], i["total"]) for i in data["items"]] == [
        ("Product COF", 3, "14.97"), ("Product SOAP", 1, "2.15")]
    detail = client.get(f"/api/v1/sales/orders/{order['id']}/").json()
    assert len(detail["lines"]) == 2 and len(detail["payments"]) == 2
    history = client.get(f"/api/v1/sales/orders/{order['id']}/history/").json()
    assert [h["event_type"] for h in history] == ["OrderPlaced", "PaymentRecorded", "PaymentRecorded", "OrderCompleted"]
    assert history[0]["user"] == "test-cashier"


def test_a_registered_store_s_receipt_shows_its_details_and_local_time(shop, cashier_user):
    """The stores context's events reach sales' store details: its receipts print the store's
    name, address, tax id, header and footer, and the time as the shop's clock showed it."""
    from tests.stores.support import BERLIN, register_store

    register_store(BERLIN)  # BER (the shop's own till is in S1, registered with a test address)
    client, till = shop["client"], make_till("Till 1", store="BER")
    at_till(client, cashier_user, till)
    client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "0.00"}, format="json")
    order = sell(client, sale_body(till, [(shop["coffee"], 1, None)], [("card", "4.99")])).json()
    data = client.get(f"/api/v1/sales/orders/{order['id']}/receipt/?format=json").json()
    assert data["store"] == {"code": "BER", "name": "Berlin Mitte", "address": ["Unter den Linden 1", "10117 Berlin", "DE"],
                             "tax_id": "DE123456789", "time_zone": "Europe/Berlin"}
    berlin = OrderView.objects.get(order_id=order["id"]).placed_at.astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))
    assert data["date"] == f"{berlin:%Y-%m-%d %H:%M} {berlin.tzname()}"
    assert (data["shop_name"], data["header"], data["footer"]) == ("Berlin Mitte", ["Willkommen!"], ["Danke und bis bald."])
    text = client.get(f"/api/v1/sales/orders/{order['id']}/receipt/?format=text").content.decode()
    assert "Tax id: DE123456789" in text and f"Date: {berlin:%Y-%m-%d %H:%M} {berlin.tzname()}" in text


def test_delivery_order_saga_both_ways(shop, manager_user):
    client, till = shop["client"], shop["till"]
    client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "0.00"}, format="json")
    client.force_authenticate(manager_user)
    ship_to = {"name": "A. Customer", "address": "1 High St", "city": "Town", "postal_code": "12345", "country": "NL"}
    ok = sell(client, {"kind": "delivery", "store_code": "S1", "ship_to": ship_to,
                       "lines": [{"product_id": str(shop["soap"]), "quantity": 4}]}).json()
    assert OrderView.objects.get(order_id=ok["id"]).status == "confirmed"  # reserved and confirmed in-process
    soap = ProductView.objects.get(id=shop["soap"])
    assert (soap.on_hand, soap.reserved, soap.available) == (10, 4, 6)
    assert client.post(f"/api/v1/sales/orders/{ok['id']}/ship/").status_code == 409  # not paid yet
    assert client.post(f"/api/v1/sales/orders/{ok['id']}/payments/",
                       {"payments": [{"method": "card", "amount": ok["total"]}], "till_id": str(till)},
                       format="json").status_code == 200
    assert client.post(f"/api/v1/sales/orders/{ok['id']}/ship/").status_code == 200
    soap.refresh_from_db()
    assert (soap.on_hand, soap.reserved) == (6, 0)

    too_many = sell(client, {"kind": "delivery", "store_code": "S1", "ship_to": ship_to,
                             "lines": [{"product_id": str(shop["net"]), "quantity": 50}]}).json()
    cancelled = OrderView.objects.get(order_id=too_many["id"])
    assert cancelled.status == "cancelled" and "insufficient stock" in cancelled.cancelled_reasons[0]

    keep = sell(client, {"kind": "delivery", "store_code": "S1", "ship_to": ship_to,
                         "lines": [{"product_id": str(shop["coffee"]), "quantity": 5}]}).json()
    assert client.post(f"/api/v1/sales/orders/{keep['id']}/cancel/", {"reason": "changed mind"},
                       format="json").status_code == 200
    coffee = ProductView.objects.get(id=shop["coffee"])
    assert (coffee.reserved, coffee.available) == (0, 20)


def test_permissions(api_client, embedded_delivery, cashier_user):
    assert api_client.get("/api/v1/sales/orders/").status_code == 401
    api_client.force_authenticate(cashier_user)
    assert api_client.get("/api/v1/sales/orders/").status_code == 200
    created = api_client.post("/api/v1/sales/tills/", {"name": "T", "store_code": "S9", "store_name": "X"}, format="json")
    assert created.status_code == 403


def test_lists_honour_page_size_up_to_the_documented_maximum(shop, monkeypatch):
    from infrastructure.http.pagination import Pagination

    client, till = shop["client"], shop["till"]
    client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "0.00"}, format="json")
    for _ in range(3):
        assert sell(client, sale_body(till, [(shop["soap"], 1, None)], [("card", "2.15")])).status_code == 201
    two = client.get("/api/v1/sales/orders/?page_size=2").json()
    assert (two["count"], len(two["results"]), two["next"] is not None) == (3, 2, True)
    monkeypatch.setattr(Pagination, "max_page_size", 1)  # the maximum caps a larger ask
    capped = client.get("/api/v1/sales/orders/?page_size=1000").json()
    assert (capped["count"], len(capped["results"])) == (3, 1)


def test_format_in_the_url_wins_over_accept(shop, manager_user):
    client, till = shop["client"], shop["till"]
    client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "0.00"}, format="json")
    order = sell(client, sale_body(till, [(shop["soap"], 1, None)], [("card", "2.15")])).json()
    text = client.get(f"/api/v1/sales/orders/{order['id']}/receipt/?format=text", HTTP_ACCEPT="application/json")
    assert text.status_code == 200 and text["Content-Type"].startswith("text/plain")
    client.force_authenticate(manager_user)
    report = client.get("/api/v1/reports/daily-sales/?format=csv", HTTP_ACCEPT="application/json")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    unknown = client.get("/api/v1/reports/daily-sales/?format=xls", HTTP_ACCEPT="application/json")
    assert unknown.status_code == 406 and "csv" in unknown.json()["detail"]
