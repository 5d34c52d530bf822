"""Loyalty points spent as a tender through the API, in-process delivery (embedded mode's path):
points earned on one sale pay part of the next, at POS_LOYALTY_POINT_VALUE each; more than the
customer has is refused; a refund by points and a void give them back; the customer's balance in
the customers context and what sales lets them spend agree; the Z-report counts the points."""

from decimal import Decimal as D

import pytest

from contexts.customers.models import CustomerView
from contexts.sales.models import CustomerDirectoryEntry
from infrastructure.eventstore.models import StoredEvent
from tests.customers.support import make_customer
from tests.sales.support import sale_body, sell

pytestmark = pytest.mark.integration


@pytest.fixture
def points_shop(shop, settings):
    settings.POS_LOYALTY_UNIT = D("0.10")  # a point per 0.10 paid...
    settings.POS_LOYALTY_POINT_VALUE = D("0.05")  # ...and each pays 0.05
    client, till = shop["client"], shop["till"]
    assert client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "20.00"}, format="json").status_code == 201
    return {**shop, "customer": make_customer("Paula Points")}


def balance(customer) -> int:
    return CustomerView.objects.get(id=customer).points_balance


def spendable(client, customer) -> int:
    # sales' own record: credited by customers, less spent at the tills
    from contexts.sales.command_side import LoyaltySpending
    spent = LoyaltySpending.objects.filter(customer_id=customer).values_list("points_spent", flat=True).first() or 0
    return CustomerDirectoryEntry.objects.get(customer_id=customer).points_earned - spent


def test_points_earned_pay_for_a_later_sale_and_come_back_on_refund_and_void(points_shop):
    shop = points_shop
    client, till, customer = shop["client"], shop["till"], str(shop["customer"])
    first = sell(client, sale_body(till, [(shop["coffee"], 10, None)], [("card", "49.90")], customer_id=customer))
    assert first.status_code == 201, first.json()
    assert balance(customer) == spendable(client, customer) == 499  # 49.90 / 0.10

    anonymous = sell(client, sale_body(till, [(shop["soap"], 1, None)], [("points", "2.15")]))
    assert anonymous.status_code == 422 and anonymous.json()["type"].endswith("/points-need-customer/")
    too_much = sell(client, sale_body(till, [(shop["coffee"], 6, None)], [("points", "29.90")], customer_id=customer))
    assert too_much.status_code == 422 and too_much.json()["type"].endswith("/not-enough-points/")
    assert "499 points" in too_much.json()["detail"]

    # 2 x 2.15 = 4.30 by 86 points; the sale itself earns 43
    second = sell(client, sale_body(till, [(shop["soap"], 2, None)], [("points", "4.30")], customer_id=customer))
    assert second.status_code == 201 and second.json()["status"] == "completed", second.json()
    assert balance(customer) == spendable(client, customer) == 499 - 86 + 43
    payment = StoredEvent.objects.get(event_type="PaymentRecorded", data__order_id=second.json()["id"])
    assert (payment.data["method"], payment.data["points"], payment.data["customer_id"]) == ("points", 86, customer)

    # one soap back: by points, as paid (43 points back; the 21 it earned are taken back)
    refund = client.post(f"/api/v1/sales/orders/{second.json()['id']}/refunds/",
                         {"lines": [{"line_no": 1, "quantity": 1}], "method": "original"}, format="json")
    assert refund.status_code == 201 and refund.json()["refund"]["method"] == "points", refund.json()
    assert balance(customer) == spendable(client, customer) == 456 + 43 - 21

    # a sale paid partly by points, then voided: its 20 points go back
    partly = sell(client, sale_body(till, [(shop["coffee"], 1, None)], [("points", "1.00")], customer_id=customer))
    assert partly.json()["status"] == "placed" and balance(customer) == 478 - 20
    voided = client.post(f"/api/v1/sales/orders/{partly.json()['id']}/void/", {"reason": "left"}, format="json")
    assert voided.status_code == 200 and balance(customer) == spendable(client, customer) == 478

    closed = client.post(f"/api/v1/sales/tills/{till}/close/", {"counted": {"cash": "20.00"}}, format="json")
    assert closed.status_code == 200, closed.json()
    points = next(m for m in closed.json()["z_report"]["methods"] if m["method"] == "points")
    assert points == {"method": "points", "expected": "2.15", "counted": "2.15", "difference": "0.00", "taken": "5.30",
                      "given_back": "3.15"}
