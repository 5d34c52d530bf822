"""The shop's own tenders through the API: a manager defines a voucher (needs a reference, gives no
change) and a meal ticket (gives change); a cashier lists them and sells with them; refunds go back
by voucher up to what it paid; the Z-report counts each tender, in sales and in reporting alike;
a retired tender is refused."""

from decimal import Decimal as D

import pytest

from contexts.reporting.models import PaymentMethodSales
from contexts.sales.models import OrderView, PaymentView
from infrastructure.eventstore.models import StoredEvent
from tests.helpers.auth import at_till
from tests.sales.support import sale_body, sell

pytestmark = pytest.mark.integration
TENDERS = "/api/v1/sales/tenders/"


def _define(client, manager_user, cashier_user, till, **body):
    client.force_authenticate(manager_user)
    response = client.post(TENDERS, body, format="json")
    at_till(client, cashier_user, till)
    return response


@pytest.fixture
def tenders(shop, manager_user, cashier_user):
    client, till = shop["client"], shop["till"]
    voucher = _define(client, manager_user, cashier_user, till, code="voucher", name="Gift voucher",
                      needs_reference=True)
    assert voucher.status_code == 201, voucher.json()
    assert voucher.json() == {"code": "voucher", "name": "Gift voucher", "gives_change": False,
                              "needs_reference": True, "active": True, "built_in": False}
    meal = _define(client, manager_user, cashier_user, till, code="meal", name="Meal ticket", gives_change=True)
    assert meal.status_code == 201, meal.json()
    opened = client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "50.00"}, format="json")
    assert opened.status_code == 201, opened.json()
    return shop


def test_a_cashier_lists_the_tenders_but_only_a_manager_defines_them(tenders, cashier_user):
    client = tenders["client"]
    listed = client.get(TENDERS)
    assert listed.status_code == 200
    assert [(t["code"], t["built_in"]) for t in listed.json()] == [
        ("cash", True), ("card", True), ("points", True), ("voucher", False), ("meal", False)]
    assert client.get(f"{TENDERS}voucher/").json()["name"] == "Gift voucher"
    assert client.get(f"{TENDERS}cash/").json()["gives_change"] is True
    assert client.get(f"{TENDERS}points/").json()["point_value"] == "0.01"  # what a till shows points as
    assert client.get(f"{TENDERS}bitcoin/").status_code == 404
    refused = client.post(TENDERS, {"code": "cheque", "name": "Cheque"}, format="json")
    assert refused.status_code == 403
    assert not StoredEvent.objects.filter(event_type="TenderDefined", data__code="cheque").exists()


@pytest.mark.parametrize("body, status, kind", [
    ({"code": "cash", "name": "Cash again"}, 422, "reserved-tender"),
    ({"code": "voucher", "name": "Second voucher"}, 409, "tender-exists"),
    ({"code": "Gift Card", "name": "Gift card"}, 422, "domain-error"),
    ({"code": "mobile", "name": ""}, 400, "validation-error"),
])
def test_a_bad_definition_is_refused_and_changes_nothing(tenders, manager_user, cashier_user, body, status, kind):
    before = StoredEvent.objects.filter(stream_type="Tender").count()
    response = _define(tenders["client"], manager_user, cashier_user, tenders["till"], **body)
    assert response.status_code == status and response.json()["type"].endswith(f"/{kind}/"), response.json()
    assert StoredEvent.objects.filter(stream_type="Tender").count() == before


def test_a_day_with_vouchers_and_meal_tickets_adds_up_in_the_z_report(tenders, manager_user):
    client, till = tenders["client"], tenders["till"]
    coffee, soap = tenders["coffee"], tenders["soap"]
    # 4 x 4.99 = 19.96: a 15.00 voucher and the rest in cash
    no_ref = sell(client, sale_body(till, [(coffee, 4, None)], [("voucher", "15.00")]))
    assert no_ref.status_code == 422 and no_ref.json()["errors"][0]["field"] == "payments.0.reference"
    assert no_ref.json()["type"].endswith("/reference-required/")
    too_much = sale_body(till, [(coffee, 4, None)], [("voucher", "25.00")])
    too_much["payments"][0]["reference"] = "GV-1001"
    too_much = sell(client, too_much)
    assert too_much.status_code == 422 and too_much.json()["type"].endswith("/tender-gives-no-change/")
    assert not OrderView.objects.exists()
    body = sale_body(till, [(coffee, 4, None)], [("voucher", "15.00"), ("cash", "5.00")])
    body["payments"][0]["reference"] = "GV-1001"
    first = sell(client, body)
    assert first.status_code == 201, first.json()
    assert (first.json()["status"], first.json()["change"]) == ("completed", "0.04")
    # 2 x 2.15 = 4.30 by a 5.00 meal ticket: 0.70 change
    second = sell(client, sale_body(till, [(soap, 2, None)], [("meal", "5.00")])).json()
    assert (second["status"], second["change"]) == ("completed", "0.70")
    assert PaymentView.objects.get(order_id=first.json()["id"], method="voucher").reference == "GV-1001"
    # one coffee back by voucher (4.99 of the 15.00), then no more than the voucher paid
    refunds = f"/api/v1/sales/orders/{first.json()['id']}/refunds/"
    back = client.post(refunds, {"lines": [{"line_no": 1, "quantity": 1}], "method": "voucher"}, format="json")
    assert back.status_code == 201, back.json()
    assert back.json()["refund"]["method"] == "voucher" and back.json()["refund"]["total"] == "4.99"
    assert client.post(refunds, {"lines": [{"line_no": 1, "quantity": 1}], "method": "original"},
                       format="json").json()["type"].endswith("/ambiguous-method/")
    # the receipt names the tender and its reference
    receipt = client.get(f"/api/v1/sales/orders/{first.json()['id']}/receipt/?format=json").json()
    assert receipt["payments"] == [{"method": "Gift voucher GV-1001", "amount": "15.00"}, {"method": "Cash", "amount": "5.00"}]

    bad = client.post(f"/api/v1/sales/tills/{till}/close/", {"counted": {"cash": "54.96", "bitcoin": "1.00"}},
                      format="json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "counted.bitcoin"
    closed = client.post(f"/api/v1/sales/tills/{till}/close/",
                         {"counted": {"cash": "54.96", "voucher": "10.01", "meal": "4.30"}}, format="json")
    assert closed.status_code == 200, closed.json()
    z = closed.json()["z_report"]
    methods = {m["method"]: (m["expected"], m["counted"], m["difference"]) for m in z["methods"]}
    assert list(methods) == ["cash", "card", "meal", "voucher"]
    assert methods == {"cash": ("54.96", "54.96", "0.00"), "card": ("0.00", "0.00", "0.00"),
                       "meal": ("4.30", "4.30", "0.00"), "voucher": ("10.01", "10.01", "0.00")}
    assert (z["sales_count"], z["refunds"]) == (2, "4.99")
    # reporting counts each tender from the same events
    mix = {row.method: row.amount for row in PaymentMethodSales.objects.all()}
    assert mix == {"cash": D("4.96"), "voucher": D("15.00"), "meal": D("4.30")}
    client.force_authenticate(manager_user)
    ours = client.get(f"/api/v1/reports/z-reports/{closed.json()['id']}/").json()
    assert ours["reconciled"] is True, ours
    assert ours["z_report"]["methods"] == [{k: m[k] for k in ("method", "expected", "counted", "difference")}
                                           for m in z["methods"]]
    assert ours["payments"] == [{k: m[k] for k in ("method", "taken", "given_back")} for m in z["methods"]]


def test_a_retired_tender_is_refused_and_a_reinstated_one_pays_again(tenders, manager_user, cashier_user):
    client, till = tenders["client"], tenders["till"]
    client.force_authenticate(manager_user)
    retired = client.delete(f"{TENDERS}meal/")
    assert retired.status_code == 200 and retired.json()["active"] is False
    assert client.delete(f"{TENDERS}cash/").json()["type"].endswith("/reserved-tender/")
    at_till(client, cashier_user, till)
    assert [t["code"] for t in client.get(f"{TENDERS}?active=true").json()] == ["cash", "card", "points", "voucher"]
    refused = sell(client, sale_body(till, [(tenders["soap"], 1, None)], [("meal", "2.15")]))
    assert refused.status_code == 422 and refused.json()["type"].endswith("/unknown-tender/")
    client.force_authenticate(manager_user)
    again = client.patch(f"{TENDERS}meal/", {"active": True, "name": "Lunch ticket"}, format="json")
    assert again.status_code == 200 and (again.json()["name"], again.json()["active"]) == ("Lunch ticket", True)
    at_till(client, cashier_user, till)
    assert sell(client, sale_body(till, [(tenders["soap"], 1, None)], [("meal", "2.15")])).status_code == 201
