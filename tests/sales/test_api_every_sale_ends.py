"""Every sale ends, through the API (in-process delivery): a sale not completed is voided (its
money goes back through its till, the Z-report counts the void, no stock is taken); a session
does not close over unfinished sales unless told to void them; a 0.00 sale completes at once; a
refused sale takes no order number."""

from decimal import Decimal as D

import pytest

from contexts.catalog.models import ProductView
from contexts.sales.models import OrderView, TillSessionView
from infrastructure.eventstore.models import StoredEvent
from tests.helpers.auth import at_till
from tests.sales.support import make_till, sale_body, sell

pytestmark = pytest.mark.integration


def _open(client, till, opening_float="50.00"):
    response = client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": opening_float}, format="json")
    assert response.status_code == 201, response.json()


def _z(closed) -> tuple[dict, dict]:
    z = closed.json()["z_report"]
    return z, {m["method"]: m for m in z["methods"]}


def test_a_part_paid_sale_is_voided_and_its_money_goes_back_through_the_till(shop):
    client, till = shop["client"], shop["till"]
    _open(client, till)
    order = sell(client, sale_body(till, [(shop["coffee"], 3, None)], [("card", "5.00"), ("cash", "4.00")])).json()
    assert (order["status"], order["total"], order["remaining"]) == ("placed", "14.97", "5.97")  # 3 x 4.99

    voided = client.post(f"/api/v1/sales/orders/{order['id']}/void/", {"reason": "customer left"}, format="json")
    assert voided.status_code == 200, voided.json()
    assert voided.json()["status"] == "voided"
    again = client.post(f"/api/v1/sales/orders/{order['id']}/void/", {}, format="json")
    assert again.status_code == 200 and StoredEvent.objects.filter(event_type="OrderVoided").count() == 1
    paid_late = client.post(f"/api/v1/sales/orders/{order['id']}/payments/",
                            {"payments": [{"method": "cash", "amount": "5.97"}]}, format="json")
    assert paid_late.status_code == 409  # a voided sale owes nothing

    closed = client.post(f"/api/v1/sales/tills/{till}/close/", {"counted": {"cash": "50.00"}}, format="json")
    assert closed.status_code == 200, closed.json()
    z, methods = _z(closed)
    # cash: 50.00 float + 4.00 taken - 4.00 given back = 50.00; card: 5.00 - 5.00 reversed = 0.00
    assert (z["void_count"], z["voids"], z["sales_count"]) == (1, "14.97", 0)
    assert (methods["cash"]["expected"], methods["card"]["expected"], z["cash_difference"]) == ("50.00", "0.00", "0.00")
    session = TillSessionView.objects.get(till_id=till)
    assert (session.void_count, session.voids) == (1, D("14.97"))
    assert OrderView.objects.get(order_id=order["id"]).status == "voided"
    assert ProductView.objects.get(id=shop["coffee"]).on_hand == 20  # no stock taken for a voided sale


def test_a_completed_sale_cannot_be_voided_and_a_sale_is_voided_only_at_its_till(shop, cashier_user):
    client, till = shop["client"], shop["till"]
    _open(client, till)
    done = sell(client, sale_body(till, [(shop["soap"], 1, None)], [("cash", "2.15")])).json()
    refused = client.post(f"/api/v1/sales/orders/{done['id']}/void/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["type"].endswith("/not-voidable/")
    open_sale = sell(client, sale_body(till, [(shop["soap"], 1, None)])).json()
    other = make_till("Till 2")
    at_till(client, cashier_user, other)
    elsewhere = client.post(f"/api/v1/sales/orders/{open_sale['id']}/void/", {}, format="json")
    assert elsewhere.status_code == 409 and elsewhere.json()["errors"][0]["field"] == "till_id"


def test_the_close_lists_unfinished_sales_or_voids_them_when_asked(shop):
    client, till = shop["client"], shop["till"]
    _open(client, till, "20.00")
    first = sell(client, sale_body(till, [(shop["coffee"], 1, None)])).json()                   # 4.99 unpaid
    second = sell(client, sale_body(till, [(shop["soap"], 2, None)], [("cash", "1.00")])).json()  # 4.30, 1.00 paid
    sell(client, sale_body(till, [(shop["soap"], 1, None)], [("card", "2.15")]))                 # completed

    refused = client.post(f"/api/v1/sales/tills/{till}/close/", {"counted": {"cash": "20.00"}}, format="json")
    assert refused.status_code == 409 and refused["Content-Type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/unfinished-sales/")
    assert first["number"] in refused.json()["detail"] and second["number"] in refused.json()["detail"]
    assert TillSessionView.objects.get(till_id=till).status == "open"  # nothing changed

    closed = client.post(f"/api/v1/sales/tills/{till}/close/", {"counted": {"cash": "20.00"}, "void_unfinished": True},
                         format="json")
    assert closed.status_code == 200, closed.json()
    z, methods = _z(closed)
    # voids: 4.99 + 4.30 = 9.29; cash: 20.00 + 1.00 taken - 1.00 returned = 20.00; card: 2.15
    assert (z["sales_count"], z["void_count"], z["voids"]) == (1, 2, "9.29")
    assert (methods["cash"]["expected"], methods["card"]["expected"]) == ("20.00", "2.15")
    assert {o.status for o in OrderView.objects.filter(order_id__in=[first["id"], second["id"]])} == {"voided"}


def test_a_zero_total_sale_completes_at_once(shop, manager_user):
    client, till = shop["client"], shop["till"]
    _open(client, till)
    at_till(client, manager_user, till)  # a manager may give 100 %
    free = sell(client, sale_body(till, [(shop["coffee"], 2, "100")]))
    assert free.status_code == 201, free.json()
    assert (free.json()["status"], free.json()["total"], free.json()["remaining"]) == ("completed", "0.00", "0.00")
    closed = client.post(f"/api/v1/sales/tills/{till}/close/", {"counted": {"cash": "50.00"}}, format="json")
    z, _ = _z(closed)
    # gross 2 x 4.99 = 9.98, all of it discounted
    assert (z["sales_count"], z["gross"], z["discounts"], z["net"]) == (1, "9.98", "9.98", "0.00")
    assert ProductView.objects.get(id=shop["coffee"]).on_hand == 18  # given away, still out of stock


def test_a_refused_sale_takes_no_order_number(shop):
    client, till = shop["client"], shop["till"]
    _open(client, till)
    refused = sell(client, sale_body(till, [(shop["coffee"], 1, None)], [("card", "4.99"), ("cash", "1.00")]))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "payments.1.amount"
    assert "S1-" not in refused.json()["detail"]  # it names no number that was never created
    ok = sell(client, sale_body(till, [(shop["coffee"], 1, None)], [("card", "4.99")])).json()
    assert ok["number"] == "S1-01-000001"  # till 01 of store S1: the refused sale left no gap


def test_receipts_are_numbered_per_till(shop, cashier_user):
    client, first = shop["client"], shop["till"]
    second = make_till("Till 2")
    _open(client, first)
    at_till(client, cashier_user, second)
    _open(client, second)
    numbers = []
    for till in (second, first, second):
        at_till(client, cashier_user, till)
        numbers.append(sell(client, sale_body(till, [(shop["soap"], 1, None)], [("card", "2.15")])).json()["number"])
    # tills are numbered in the store as they are registered; each till's receipts count on their own
    assert numbers == ["S1-02-000001", "S1-01-000001", "S1-02-000002"]


def test_a_till_registered_before_numbering_at_registration_is_numbered_on_its_first_sale(shop, cashier_user):
    from contexts.sales.command_side import TillReceiptCounter

    client = shop["client"]
    older = make_till("Till 2")  # numbered 02 at registration; its counter row is then removed,
    TillReceiptCounter.objects.filter(till_id=older).delete()  # as for a till registered before
    at_till(client, cashier_user, older)
    _open(client, older)
    numbers = [sell(client, sale_body(older, [(shop["soap"], 1, None)], [("card", "2.15")])).json()["number"]
               for _ in range(2)]
    assert numbers == ["S1-03-000001", "S1-03-000002"]  # the store's next number, then its own counter
