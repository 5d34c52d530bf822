"""Races on one aggregate through the API, on real PostgreSQL: threads released together by a
barrier, each round repeated so the outcome is not a coin flip.

- two refunds of the same line, each for the whole quantity: exactly one is taken, the other is
  a 409 that says what was refunded already and what is left;
- payment and cancellation of the same confirmed, unpaid delivery order: it ends paid or
  cancelled, never both, and no money is taken on a cancelled order; the loser gets a 409.

(tests/sales/test_concurrency.py covers the stock saga and one Idempotency-Key under races.)
"""

from decimal import Decimal as D

import pytest

from contexts.catalog.models import ProductView
from contexts.sales.models import OrderView
from infrastructure.eventstore.models import StoredEvent
from tests.helpers.delivery import embedded_delivery  # noqa: F401
from tests.sales.support import make_product, make_till, sale_body
from tests.sales.test_concurrency import SHIP_TO, client_for, run_in_threads

pytestmark = pytest.mark.integration
ROUNDS = 10
PROBLEM = "application/problem+json"


def events_of(order_id, event_type: str) -> int:
    return StoredEvent.objects.filter(stream_id=str(order_id), event_type=event_type).count()


def split(responses) -> tuple[list, list]:
    """(winners, losers) by status; anything but a 2xx or a 409 fails the test with the body."""
    assert all(hasattr(r, "status_code") for r in responses), responses  # no exception escaped a thread
    bad = [(r.status_code, r.content[:500]) for r in responses if r.status_code not in (200, 201, 409)]
    assert not bad, bad
    return [r for r in responses if r.status_code < 300], [r for r in responses if r.status_code == 409]


def test_two_refunds_of_the_same_line_at_once_take_it_back_once(embedded_delivery, cashier_user):
    product = make_product("RACE-REF", "2.50", tax="20", stock=100)
    till = make_till("Race till", store="RR1")
    opened = client_for(cashier_user, till).post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "20.00"},
                                                 format="json")
    assert opened.status_code == 201, opened.json()

    for round_no in range(ROUNDS):
        sale = client_for(cashier_user, till).post(
            "/api/v1/sales/orders/", sale_body(till, [(product, 2, None)], [("cash", "5.00")]), format="json",
            HTTP_IDEMPOTENCY_KEY=f"race-refund-{round_no:02d}-{till}")
        assert sale.status_code == 201, sale.json()
        order = sale.json()["id"]

        def refund(_):
            return client_for(cashier_user, till).post(
                f"/api/v1/sales/orders/{order}/refunds/",
                {"lines": [{"line_no": 1, "quantity": 2}], "method": "cash", "till_id": str(till)}, format="json")

        winners, losers = split(run_in_threads(2, refund))
        assert (len(winners), len(losers)) == (1, 1), (round_no, [r.content for r in winners + losers])
        assert winners[0].status_code == 201 and winners[0].json()["refunded"] == "5.00"
        loser = losers[0]
        assert loser["Content-Type"] == PROBLEM
        problem = loser.json()
        assert problem["status"] == 409 and problem["type"].endswith("/refund-exceeds-sale/"), problem
        # says what was sold, what was refunded already and what is left
        assert "2 sold, 2 already refunded" in problem["detail"] and "at most 0 more" in problem["detail"], problem
        assert events_of(order, "OrderRefunded") == 1
        view = OrderView.objects.get(order_id=order)
        assert D(view.refunded_total) == D("5.00"), round_no

    # every unit sold came back exactly once, and the session counted each refund once
    assert ProductView.objects.get(id=product).on_hand == 100
    closed = client_for(cashier_user, till).post(f"/api/v1/sales/tills/{till}/close/",
                                                 {"counted": {"cash": "20.00"}}, format="json")
    assert closed.status_code == 200, closed.json()
    z = closed.json()["z_report"]
    assert D(z["refunds"]) == D("5.00") * ROUNDS and z["sales_count"] == ROUNDS, z
    assert D({m["method"]: m for m in z["methods"]}["cash"]["expected"]) == D("20.00"), z


def test_paying_and_cancelling_one_delivery_order_at_once_ends_paid_or_cancelled(embedded_delivery, manager_user):
    till = make_till("Race delivery desk", store="RD1")  # every payment goes through a till's open session
    product = make_product("RACE-DLV", "7.00", tax="10", stock=ROUNDS, store="RD1")  # reserved where it is
    opened = client_for(manager_user).post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "0.00"},
                                           format="json")
    assert opened.status_code == 201, opened.json()
    outcomes = []
    for round_no in range(ROUNDS):
        placed = client_for(manager_user).post(
            "/api/v1/sales/orders/", {"kind": "delivery", "store_code": "RD1", "ship_to": SHIP_TO,
                                      "lines": [{"product_id": str(product), "quantity": 1}]},
            format="json", HTTP_IDEMPOTENCY_KEY=f"race-delivery-{round_no:02d}-{product}")
        assert placed.status_code == 201, placed.json()
        order = placed.json()["id"]
        # the reservation saga ran in-process on commit: the order is confirmed and unpaid
        assert OrderView.objects.get(order_id=order).status == "confirmed"

        def act(i):
            client = client_for(manager_user)
            if i == 0:
                return client.post(f"/api/v1/sales/orders/{order}/payments/",
                                   {"payments": [{"method": "card", "amount": "7.00"}], "till_id": str(till)},
                                   format="json")
            return client.post(f"/api/v1/sales/orders/{order}/cancel/", {"reason": "customer changed mind"},
                               format="json")

        responses = run_in_threads(2, act)
        winners, losers = split(responses)
        assert (len(winners), len(losers)) == (1, 1), (round_no, [r.content for r in responses])
        paid_won = responses[0].status_code == 200
        loser = losers[0]
        assert loser["Content-Type"] == PROBLEM and loser.json()["status"] == 409
        payments, cancels = events_of(order, "PaymentRecorded"), events_of(order, "OrderCancelled")
        view = OrderView.objects.get(order_id=order)
        if paid_won:
            # the cancel came too late: it says the order has been paid for
            assert loser.json()["type"].endswith("/not-cancellable/") and "completed" in loser.json()["detail"]
            assert (view.status, D(view.paid), payments, cancels) == ("completed", D("7.00"), 1, 0)
        else:
            # the payment came too late: nothing was taken on the cancelled order
            assert loser.json()["type"].endswith("/not-payable/") and "cancelled" in loser.json()["detail"]
            assert (view.status, D(view.paid), payments, cancels) == ("cancelled", D("0.00"), 0, 1)
        outcomes.append("paid" if paid_won else "cancelled")

    # stock: a paid order keeps its reservation, a cancelled one gave it back
    stock = ProductView.objects.get(id=product)
    assert (stock.on_hand, stock.reserved) == (ROUNDS, outcomes.count("paid")), outcomes
    print(f"\npay-vs-cancel outcomes over {ROUNDS} rounds: {outcomes.count('paid')} paid, "
          f"{outcomes.count('cancelled')} cancelled")
