"""Money every drawer counts, through the API: payments and refunds (cash or card) go through a
till's open session (the token's till by default, else refused); cash tendered has a ceiling;
an offline sale's time is believed only within its session; the cashier's refund limit is
cumulative per order and per session, and a manager's single-use approval lifts it once."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from contexts.sales.models import TillSessionView
from infrastructure.eventstore.models import StoredEvent
from tests.helpers.auth import at_till
from tests.sales.support import make_product, sale_body, sell

pytestmark = pytest.mark.integration


def _open(client, till, opening_float="100.00"):
    response = client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": opening_float}, format="json")
    assert response.status_code == 201, response.json()


def _close(client, till, cash):
    closed = client.post(f"/api/v1/sales/tills/{till}/close/", {"counted": {"cash": cash}}, format="json")
    assert closed.status_code == 200, closed.json()
    return {m["method"]: m for m in closed.json()["z_report"]["methods"]}


def test_a_payment_goes_through_the_tokens_till_or_is_refused_without_one(shop, manager_user, cashier_user):
    client, till = shop["client"], shop["till"]
    _open(client, till)
    order = sell(client, sale_body(till, [(shop["coffee"], 2, None)])).json()  # 9.98, pay later
    url = f"/api/v1/sales/orders/{order['id']}/payments/"
    client.force_authenticate(manager_user)  # no till claim, no till named: no session would count it
    refused = client.post(url, {"payments": [{"method": "cash", "amount": "9.98"}]}, format="json")
    assert refused.status_code == 422 and refused.json()["type"].endswith("/till-required/")
    assert refused.json()["errors"][0]["field"] == "till_id"
    at_till(client, cashier_user, till)  # the till-bound token: its till takes the money
    paid = client.post(url, {"payments": [{"method": "cash", "amount": "10.00"}]}, format="json")
    assert paid.status_code == 200 and (paid.json()["status"], paid.json()["change"]) == ("completed", "0.02")
    assert _close(client, till, "109.98")["cash"]["expected"] == "109.98"  # 100.00 float + 9.98 kept


def test_a_card_refund_without_a_till_is_refused(shop, manager_user):
    client, till = shop["client"], shop["till"]
    _open(client, till)
    order = sell(client, sale_body(till, [(shop["soap"], 1, None)], [("card", "2.15")])).json()
    client.force_authenticate(manager_user)
    refused = client.post(f"/api/v1/sales/orders/{order['id']}/refunds/",
                          {"lines": [{"line_no": 1, "quantity": 1}], "method": "card"}, format="json")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "till_id"
    assert not StoredEvent.objects.filter(event_type="OrderRefunded").exists()


def test_cash_tendered_has_a_ceiling(shop):
    client, till = shop["client"], shop["till"]
    _open(client, till)
    item = make_product("BOOK", "12.50", tax="0")
    absurd = sell(client, sale_body(till, [(item, 1, None)], [("cash", "9999999.99")]))
    assert absurd.status_code == 422 and absurd.json()["errors"][0]["field"] == "payments.0.amount"
    assert absurd.json()["type"].endswith("/tender-too-large/")
    big_note = sell(client, sale_body(till, [(item, 1, None)], [("cash", "512.50")]))  # change 500.00: the ceiling
    assert big_note.status_code == 201 and big_note.json()["change"] == "500.00"


@pytest.mark.parametrize("offset, ok", [(timedelta(minutes=4), True), (timedelta(minutes=6), False),
                                        (timedelta(days=1), False), (timedelta(hours=-1), False), (None, False)])
def test_placed_at_is_believed_only_within_the_session_and_five_minutes_ahead(shop, offset, ok):
    client, till = shop["client"], shop["till"]
    _open(client, till)
    # None: 1970; -1 h: before the session opened; +6 min and +1 day: a till clock running ahead
    placed_at = "1970-01-01T00:00:00Z" if offset is None else (timezone.now() + offset).isoformat()
    response = sell(client, sale_body(till, [(shop["coffee"], 1, None)], [("card", "4.99")], placed_at=placed_at))
    if ok:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "placed_at"
        assert not StoredEvent.objects.filter(event_type="OrderPlaced").exists()


def _approval(client, user, password=None):
    return client.post("/api/v1/sales/approvals/", {"username": user.username,
                                                    "password": password or user.plain_password}, format="json")


def test_the_cashier_refund_limit_is_cumulative_and_a_manager_approves_one_refund(shop, manager_user, cashier_user):
    client, till = shop["client"], shop["till"]
    _open(client, till)
    pen = make_product("PEN", "9.98", tax="0", stock=40)
    order = sell(client, sale_body(till, [(pen, 20, None)], [("card", "199.60")])).json()  # 20 x 9.98
    url = f"/api/v1/sales/orders/{order['id']}/refunds/"

    def refund(quantity, **headers):
        return client.post(url, {"lines": [{"line_no": 1, "quantity": quantity}], "method": "card"}, format="json",
                           **headers)

    for _ in range(5):  # 5 x 2 x 9.98 = 99.80: within the 100.00 limit
        assert refund(2).status_code == 201
    over = refund(1)  # 99.80 + 9.98 = 109.78 on this order: above it
    assert over.status_code == 403 and over.json()["type"].endswith("/needs-manager/")
    # the same status and problem type as a discount above the cashier's limit
    discount = sell(client, sale_body(till, [(pen, 1, "50")]))
    assert (discount.status_code, discount.json()["type"]) == (403, over.json()["type"])

    assert _approval(client, cashier_user).status_code == 422  # a cashier cannot approve
    assert _approval(client, manager_user, password="wrong").status_code == 422
    granted = _approval(client, manager_user)
    assert granted.status_code == 201 and granted.json()["manager"] == "test-manager"
    token = granted.json()["token"]
    approved = refund(1, HTTP_X_MANAGER_APPROVAL=token)
    assert approved.status_code == 201, approved.json()
    last = StoredEvent.objects.filter(event_type="OrderRefunded").order_by("-position").first()
    assert (last.data["approved_by"], last.data["cashier"]) == ("test-manager", "test-cashier")
    used = refund(1, HTTP_X_MANAGER_APPROVAL=token)  # single use
    assert used.status_code == 403 and used.json()["type"].endswith("/needs-manager/")

    # the limit counts the session too: 99.80 refunded here without approval, on another order 4.99 more is over
    other = sell(client, sale_body(till, [(shop["coffee"], 1, None)], [("card", "4.99")])).json()
    session_over = client.post(f"/api/v1/sales/orders/{other['id']}/refunds/",
                               {"lines": [{"line_no": 1, "quantity": 1}], "method": "card"}, format="json")
    assert session_over.status_code == 403 and "in this till session" in session_over.json()["detail"]
    # card: 199.60 + 4.99 taken - 99.80 - 9.98 given back = 94.81
    assert _close(client, till, "100.00")["card"]["expected"] == "94.81"
    assert TillSessionView.objects.get(till_id=till).refunds == D("109.78")


def test_a_manager_approval_lifts_the_discount_limit_for_one_sale(shop, manager_user):
    client, till = shop["client"], shop["till"]
    _open(client, till)
    token = _approval(client, manager_user).json()["token"]
    sale = client.post("/api/v1/sales/orders/", sale_body(till, [(shop["coffee"], 2, "50")]), format="json",
                       HTTP_IDEMPOTENCY_KEY="approved-discount-1", HTTP_X_MANAGER_APPROVAL=token)
    assert sale.status_code == 201 and sale.json()["total"] == "4.99"  # 9.98 - 50 %
    placed = StoredEvent.objects.get(event_type="OrderPlaced")
    assert placed.data["approved_by"] == "test-manager"
    again = client.post("/api/v1/sales/orders/", sale_body(till, [(shop["coffee"], 1, "50")]), format="json",
                        HTTP_IDEMPOTENCY_KEY="approved-discount-2", HTTP_X_MANAGER_APPROVAL=token)
    assert again.status_code == 403
