"""A till's day on the real services, through Kafka: PostgreSQL, the outbox relayed to Kafka,
and the catalog, customers, sales and reporting consumer loops (each its own consumer group)
applying the events. Open a session, sell (cash, card, split, one to a customer, one given away
with a manager's approval), void a part-paid sale, refund, close: the Z-report equals the sum of
what happened and reporting's equals it, catalog stock equals received - sold + refunded (the
voided sale took none), and the customer's loyalty points follow their paid sales, the points they spent and a refund.
A sale paid by a tender the shop defined (a gift voucher) counts in the Z-report as its own line."""

from decimal import ROUND_FLOOR
from decimal import Decimal as D

import pytest

from contexts.catalog.models import ProductView
from contexts.customers.models import CustomerView
from contexts.reporting import reports
from contexts.sales.commands import DefineTender
from contexts.sales.models import CustomerDirectoryEntry, PriceListEntry, TillSessionView, TillView
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from tests.customers.support import make_customer
from tests.helpers import wait_until
from tests.helpers.auth import at_till
from tests.helpers.kafka_pipeline import pipeline  # noqa: F401  (the relay pump and the consumers)
from tests.sales.support import make_product, make_till, sale_body

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
WAIT_S = 60


def test_a_day_at_the_till_through_kafka(pipeline, api_client, cashier_user, manager_user):
    coffee = make_product("K-COF", "4.99", tax="10", stock=20)
    soap = make_product("K-SOAP", "2.15", tax="20", stock=10)
    till = make_till("Kafka till", store="K1")
    ann = make_customer("Ann Kafka")
    # sales' own copies (price list, till, customer names) arrive through Kafka before it can sell
    wait_until(lambda: PriceListEntry.objects.filter(product_id__in=[coffee, soap]).count() == 2
               and TillView.objects.filter(till_id=till).exists()
               and CustomerDirectoryEntry.objects.filter(customer_id=ann).exists(),
               timeout=WAIT_S, message="sales' price list, till and customer directory via Kafka")

    client = api_client
    at_till(client, cashier_user, till)  # the cashier's token is bound to this till
    key = iter(range(1000))

    def sell(body):
        response = client.post("/api/v1/sales/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=f"kafka-{next(key):04d}-x")
        assert response.status_code == 201, response.json()
        return response.json()

    assert client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "50.00"}, format="json").status_code == 201
    cash = sell(sale_body(till, [(coffee, 2, None)], [("cash", "10.00")]))
    card = sell(sale_body(till, [(soap, 3, None)], [("card", "6.45")], customer_id=str(ann)))
    # Ann's 6 points (6.45) reach sales through customers' events; she spends 3 of them (0.03)
    wait_until(lambda: CustomerDirectoryEntry.objects.get(customer_id=ann).points_earned == 6, timeout=WAIT_S,
               message="the points Ann earned, from customers to sales via Kafka")
    by_points = sell(sale_body(till, [(soap, 1, None)], [("points", "0.03"), ("cash", "2.12")], customer_id=str(ann)))
    # a tender the shop defined: a gift voucher, with its number
    execute(DefineTender(code="voucher", name="Gift voucher", needs_reference=True), Metadata.new(user="manager"))
    voucher_body = sale_body(till, [(coffee, 1, None)], [("voucher", "4.99")])
    voucher_body["payments"][0]["reference"] = "GV-0001"
    by_voucher = sell(voucher_body)
    split = sell(sale_body(till, [(coffee, 1, None), (soap, 1, None)], [("card", "5.00"), ("cash", "5.00")]))
    # a sale given away: the cashier's limit is 10 %, a manager approves 100 % for this one sale
    approval = client.post("/api/v1/sales/approvals/", {"username": manager_user.username,
                                                        "password": manager_user.plain_password}, format="json")
    assert approval.status_code == 201, approval.json()
    free = client.post("/api/v1/sales/orders/", sale_body(till, [(soap, 1, "100")]), format="json",
                       HTTP_IDEMPOTENCY_KEY="kafka-free-x", HTTP_X_MANAGER_APPROVAL=approval.json()["token"])
    assert free.status_code == 201 and (free.json()["status"], free.json()["total"]) == ("completed", "0.00")
    free = free.json()
    # a part-paid sale the customer walks away from: voided, its 3.00 cash goes back out of the drawer
    left = sell(sale_body(till, [(coffee, 2, None)], [("cash", "3.00")]))
    voided = client.post(f"/api/v1/sales/orders/{left['id']}/void/", {"reason": "customer left"}, format="json")
    assert voided.status_code == 200 and voided.json()["status"] == "voided", voided.json()
    refund = client.post(f"/api/v1/sales/orders/{card['id']}/refunds/",
                         {"lines": [{"line_no": 1, "quantity": 1}], "method": "card", "till_id": str(till)},
                         format="json")
    assert refund.status_code == 201, refund.json()
    closed = client.post(f"/api/v1/sales/tills/{till}/close/", {"counted": {"cash": "70.00"}}, format="json")
    assert closed.status_code == 200, closed.json()
    z = closed.json()["z_report"]

    # the Z-report is the sum of what happened
    totals = [D(o["total"]) for o in (cash, card, by_points, by_voucher, split, free)]
    assert z["sales_count"] == 6 and D(z["gross"]) - D(z["discounts"]) == sum(totals)
    assert D(z["discounts"]) == D("2.15")  # the soap given away
    assert (z["void_count"], D(z["voids"])) == (1, D("9.98"))  # 2 x 4.99, never completed
    assert D(z["refunds"]) == D("2.15") and D(z["net"]) == sum(totals) - D("2.15")
    # the voided sale's 3.00 came into the drawer and went back out: it leaves no trace in cash
    expected_cash = D("50.00") + D(cash["paid"]) + D("2.12") + (D(split["total"]) - D("5.00"))
    methods = {m["method"]: m for m in z["methods"]}
    assert D(methods["cash"]["expected"]) == expected_cash
    assert D(methods["card"]["expected"]) == D("6.45") - D("2.15") + D("5.00")
    assert (D(methods["points"]["expected"]), D(methods["voucher"]["expected"])) == (D("0.03"), D("4.99"))
    assert D(z["cash_difference"]) == D("70.00") - expected_cash

    # every context's read model follows through Kafka
    def caught_up():
        stock = dict(ProductView.objects.filter(id__in=[coffee, soap]).values_list("sku", "on_hand"))
        session = TillSessionView.objects.filter(till_id=till, status="closed").first()
        customer = CustomerView.objects.get(id=ann)
        reported = reports.session_z_report(closed.json()["id"])  # reporting's own, from the session's events
        return (stock, (session.z_report if session else None), customer.points_balance,
                reported["reconciled"] if reported else None)

    earned = D(card["total"]).to_integral_value(rounding=ROUND_FLOOR)          # 6.45 -> 6 points
    earned += D(by_points["total"]).to_integral_value(rounding=ROUND_FLOOR)   # 2.15 -> 2 more
    reversed_ = D("2.15").to_integral_value(rounding=ROUND_FLOOR)             # 2.15 -> 2 points back
    spent = 3  # 0.03 at 0.01 a point
    # stock: the voided sale's 2 coffees never left; the free soap did
    expected = ({"K-COF": 20 - 2 - 1 - 1, "K-SOAP": 10 - 3 - 1 - 1 - 1 + 1}, z, int(earned - reversed_) - spent, True)
    wait_until(lambda: caught_up() == expected, timeout=WAIT_S,
               message=f"catalog stock, the session's Z-report (sales and reporting) and loyalty points via Kafka "
                       f"(last: {caught_up()})")
