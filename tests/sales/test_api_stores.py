"""Tills and delivery orders belong to a registered store: a code the stores context has not
registered is a 422 `unknown-store` naming `store_code`, a closed store a 409 `store-closed`,
and either changes nothing (no event, no till, no order number). Sales checks its own copy of the
store directory (in-process delivery here, as embedded mode)."""

import pytest
from rest_framework.test import APIClient

from contexts.sales.command_side import OrderNumberCounter
from contexts.sales.models import OrderView, TillView
from contexts.stores import commands as sto
from infrastructure.commands.bus import execute
from infrastructure.eventstore.models import StoredEvent
from tests.helpers.problem_types import registered_problem_name
from tests.helpers.stores import register_store
from tests.helpers.throttling import random_client_ip
from tests.sales.support import META, sale_body, sell

pytestmark = pytest.mark.integration

TILLS = "/api/v1/sales/tills/"
SHIP_TO = {"name": "A. Customer", "address": "1 High St", "city": "Town", "postal_code": "12345", "country": "NL"}


def _refused(response, status: int, problem: str) -> dict:
    assert response.status_code == status, response.json()
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert registered_problem_name(body["type"]) == problem
    assert [error["field"] for error in body["errors"]] == ["store_code"]
    return body


def _delivery(store_code: str, product) -> dict:
    return {"kind": "delivery", "store_code": store_code, "ship_to": SHIP_TO,
            "lines": [{"product_id": str(product), "quantity": 1}]}


def _sales_events() -> int:
    return StoredEvent.objects.filter(context="sales").count()


def test_a_till_in_a_store_that_is_not_registered_is_refused_and_nothing_is_stored(shop, manager_user):
    client = shop["client"]
    client.force_authenticate(manager_user)
    events, tills = _sales_events(), TillView.objects.count()

    body = _refused(client.post(TILLS, {"name": "Ghost till", "store_code": "ZZZZ9"}, format="json"),
                    422, "unknown-store")

    assert "There is no store ZZZZ9" in body["errors"][0]["message"]
    assert "retry shortly" in body["errors"][0]["message"]  # sales' copy may trail a registration
    assert (_sales_events(), TillView.objects.count()) == (events, tills)


def test_a_till_takes_its_registered_store_s_name(shop, manager_user):
    register_store("S2", "Harbour Road")
    client = shop["client"]
    client.force_authenticate(manager_user)

    created = client.post(TILLS, {"name": "Till 2", "store_code": "s2"}, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["store_code"], created.json()["store_name"]) == ("S2", "Harbour Road")
    # `store_name` is deprecated: what a client still sends is not what the till is called
    older = client.post(TILLS, {"name": "Till 3", "store_code": "S2", "store_name": "Somewhere else"}, format="json")
    assert older.status_code == 201 and older.json()["store_name"] == "Harbour Road"
    assert TillView.objects.get(till_id=older.json()["id"]).store_name == "Harbour Road"


def test_a_delivery_order_for_a_store_that_is_not_registered_is_refused_and_nothing_is_stored(shop, manager_user):
    client = shop["client"]
    client.force_authenticate(manager_user)
    events, orders = _sales_events(), OrderView.objects.count()

    _refused(sell(client, _delivery("ZZZZ9", shop["coffee"])), 422, "unknown-store")

    assert (_sales_events(), OrderView.objects.count()) == (events, orders)
    assert not OrderNumberCounter.objects.filter(store_code="ZZZZ9").exists()  # no numbering of its own
    placed = sell(client, _delivery("s1", shop["coffee"]))  # the shop's registered store, any case
    assert placed.status_code == 201 and placed.json()["number"] == "S1-000001"


def test_a_closed_store_takes_no_new_till_or_delivery_order_but_its_tills_keep_selling(shop, manager_user):
    client, till = shop["client"], shop["till"]  # the cashier's till, in S1
    assert client.post(f"{TILLS}{till}/open/", {"opening_float": "0.00"}, format="json").status_code == 201
    execute(sto.CloseStore(code="S1", reason="refurbishment"), META)
    events = _sales_events()

    manager = APIClient(REMOTE_ADDR=random_client_ip())  # the cashier keeps selling at the till
    manager.force_authenticate(manager_user)
    _refused(manager.post(TILLS, {"name": "Till 2", "store_code": "S1"}, format="json"), 409, "store-closed")
    _refused(sell(manager, _delivery("S1", shop["coffee"])), 409, "store-closed")
    assert _sales_events() == events

    sale = sell(client, sale_body(till, [(shop["coffee"], 1, None)], [("card", "4.99")]))
    assert sale.status_code == 201, sale.json()  # a closed store keeps its tills, their sessions and sales

    execute(sto.ReopenStore(code="S1"), META)
    assert manager.post(TILLS, {"name": "Till 2", "store_code": "S1"}, format="json").status_code == 201

