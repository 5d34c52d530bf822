"""Races at the till, on real PostgreSQL with in-process delivery: the saga never confirms more
than is in stock, and one Idempotency-Key never makes two orders."""

import threading
import uuid

import pytest
from django.db import connection
from rest_framework.test import APIClient

from contexts.catalog.models import ProductView
from contexts.sales.models import OrderView
from infrastructure.eventstore.models import StoredEvent
from tests.helpers.auth import till_token
from tests.helpers.delivery import embedded_delivery  # noqa: F401
from tests.helpers.stores import register_store
from tests.sales.support import make_product, make_till, sale_body

pytestmark = pytest.mark.integration
SHIP_TO = {"name": "A. Customer", "address": "1 High St", "city": "Town", "postal_code": "12345", "country": "NL"}


def run_in_threads(count: int, work) -> list:
    """Start `count` threads at once (a barrier), each calling work(i) with its own DB connection."""
    barrier, results = threading.Barrier(count), [None] * count

    def main(i):
        try:
            barrier.wait(30)
            results[i] = work(i)
        except BaseException as exc:  # collected and asserted on by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=main, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a worker thread did not finish"
    return results


def client_for(user, till=None) -> APIClient:
    """A client as `user`; with `till`, its token is bound to that till (as a till's login gives)."""
    client = APIClient(REMOTE_ADDR=f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}")
    client.force_authenticate(user, token=till_token(user, till) if till else None)
    return client


def test_thirty_concurrent_delivery_orders_for_ten_units_confirm_exactly_ten(embedded_delivery, manager_user):
    product = make_product("LAST10", "9.00", stock=10)
    register_store("S1")  # a delivery order names a registered store

    def order(i):
        return client_for(manager_user).post(
            "/api/v1/sales/orders/", {"kind": "delivery", "store_code": "S1", "ship_to": SHIP_TO,
                                      "lines": [{"product_id": str(product), "quantity": 1}]},
            format="json", HTTP_IDEMPOTENCY_KEY=f"delivery-{i:03d}-{uuid.uuid4().hex[:8]}")

    responses = run_in_threads(30, order)
    assert all(getattr(r, "status_code", None) == 201 for r in responses), responses
    statuses = list(OrderView.objects.filter(kind="delivery").values_list("status", flat=True))
    assert len(statuses) == 30
    assert statuses.count("confirmed") == 10 and statuses.count("cancelled") == 20
    stock = ProductView.objects.get(id=product)
    assert (stock.on_hand, stock.reserved, stock.available) == (10, 10, 0)
    assert StoredEvent.objects.filter(event_type="StockReserved").count() == 10
    assert StoredEvent.objects.filter(event_type="StockReservationRejected").count() == 20


def test_ten_parallel_submissions_with_one_key_create_one_order(embedded_delivery, cashier_user):
    product = make_product("IDEM", "3.00", stock=5)
    till = make_till("Idem till", store="S7")
    client_for(cashier_user, till).post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "0.00"}, format="json")
    body = sale_body(till, [(product, 1, None)], [("cash", "5.00")])

    def submit(_):
        response = client_for(cashier_user, till).post("/api/v1/sales/orders/", body, format="json",
                                                 HTTP_IDEMPOTENCY_KEY="till-7-offline-000042")
        return response.status_code, response.json()

    results = run_in_threads(10, submit)
    assert all(isinstance(r, tuple) for r in results), results
    assert {status for status, _ in results} == {201}
    assert len({answer["id"] for _, answer in results}) == 1
    assert len({answer["number"] for _, answer in results}) == 1
    assert StoredEvent.objects.filter(event_type="OrderPlaced").count() == 1
    assert ProductView.objects.get(id=product).on_hand == 4


def test_many_tills_of_one_store_number_their_receipts_gaplessly_per_till(embedded_delivery, cashier_user):
    """Five tills of one store selling at once, four sales each (a till rings one sale after the
    other): every till's receipts are 1..4 under its own till number, no number twice, none skipped."""
    product = make_product("BUSY", "1.00", stock=0)
    tills = [make_till(f"Busy {n}", store="B1") for n in range(5)]
    for till in tills:
        opened = client_for(cashier_user, till).post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "0.00"},
                                                     format="json")
        assert opened.status_code == 201, opened.json()

    def ring(i):
        till, answers = tills[i], []
        client = client_for(cashier_user, till)
        for n in range(4):
            response = client.post("/api/v1/sales/orders/", sale_body(till, [(product, 1, None)], [("cash", "1.00")]),
                                   format="json", HTTP_IDEMPOTENCY_KEY=f"busy-{i}-{n}-{uuid.uuid4().hex[:8]}")
            answers.append((response.status_code, response.json()))
        return answers

    results = [answer for answers in run_in_threads(len(tills), ring) for answer in answers]
    assert len(results) == 20 and all(status == 201 for status, _ in results), results
    by_till: dict[str, list[str]] = {}
    for _, order in results:
        by_till.setdefault(order["till_id"], []).append(order["number"])
    prefixes = set()
    for numbers in by_till.values():
        prefix = {number.rsplit("-", 1)[0] for number in numbers}
        assert len(prefix) == 1, numbers  # one till, one prefix (B1-03)
        prefixes |= prefix
        assert sorted(int(number.rsplit("-", 1)[1]) for number in numbers) == [1, 2, 3, 4], numbers
    assert prefixes == {f"B1-{n:02d}" for n in range(1, 6)}  # the store's tills numbered 01..05
