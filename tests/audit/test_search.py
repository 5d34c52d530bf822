"""The audit questions, each answering exactly the expected events: from the archive in FerretDB
(the events reach it as in embedded mode, through the audit consumer's inbox) and from the event
table (no MONGODB_URL), through the API and the back office, a page at a time.

The expected answers come from the event table, read in Python (tests/audit/support.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from contexts.catalog import commands as cat
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from infrastructure.eventstore.models import StoredEvent
from tests.helpers.auth import at_till
from tests.sales.support import make_product, make_till, sale_body

from .support import archived_ids, audit_db, expected_ids  # noqa: F401 - fixture

pytestmark = pytest.mark.integration


def _sell(client, till, lines, key: str) -> dict:
    response = client.post("/api/v1/sales/orders/", sale_body(till, lines, [("cash", "200.00")]), format="json",
                           HTTP_IDEMPOTENCY_KEY=f"{key}-{uuid.uuid4().hex[:8]}")
    assert response.status_code == 201, response.json()
    return response.json()


def _refund_first_line(client, order: dict, till) -> None:
    response = client.post(f"/api/v1/sales/orders/{order['id']}/refunds/",
                           {"lines": [{"line_no": 1, "quantity": 1}], "method": "cash", "till_id": str(till)},
                           format="json")
    assert response.status_code == 201, response.json()


def shop_history(client, cashier) -> dict:
    """Two tills in two stores; price changes by two managers; sales and refunds, with two time
    marks (t0, t1) around the middle part of till 1's day."""
    sku_x, sku_y = f"AU-X-{uuid.uuid4().hex[:6]}", f"AU-Y-{uuid.uuid4().hex[:6]}"
    x, y = make_product(sku_x, "55.00", stock=20), make_product(sku_y, "3.50", stock=50)
    till1, till2 = make_till("Audit till 1", store="AU1"), make_till("Audit till 2", store="AU2")
    execute(cat.ChangeProductPrice(product_id=x, unit_price=Decimal("58.00")), Metadata.new(user="alice"))
    execute(cat.ChangeProductPrice(product_id=y, unit_price=Decimal("3.80")), Metadata.new(user="bob"))
    at_till(client, cashier, till1)
    assert client.post(f"/api/v1/sales/tills/{till1}/open/", {"opening_float": "50.00"}, format="json").status_code == 201
    first = _sell(client, till1, [(y, 2, None)], "au-1")
    t0 = timezone.now()
    big = _sell(client, till1, [(x, 1, None), (y, 1, None)], "au-2")
    _refund_first_line(client, big, till1)  # 58.00: above 50.00
    _sell(client, till1, [(y, 3, None)], "au-3")
    t1 = timezone.now()
    small = _sell(client, till1, [(y, 1, None)], "au-4")
    _refund_first_line(client, small, till1)  # 3.80: not above 50.00
    execute(cat.ChangeProductPrice(product_id=x, unit_price=Decimal("61.00")), Metadata.new(user="alice"))
    at_till(client, cashier, till2)
    assert client.post(f"/api/v1/sales/tills/{till2}/open/", {"opening_float": "20.00"}, format="json").status_code == 201
    other = _sell(client, till2, [(x, 1, None)], "au-5")
    _refund_first_line(client, other, till2)  # 61.00: above 50.00
    return {"x": x, "sku_x": sku_x, "till1": str(till1), "till2": str(till2), "t0": t0, "t1": t1,
            "first": first, "big": big}


def _till_of(row) -> str | None:
    till = row.metadata.get("till") or row.data.get("till_id")
    return None if till is None else str(till)


def _store_of(row) -> str | None:
    """The store the event names, else the store of the till it was recorded at."""
    return row.data["store_code"] if "store_code" in row.data else row.metadata.get("store")


def _amount_of(row) -> Decimal | None:
    value = row.data.get("total", row.data.get("amount"))
    return None if value is None else Decimal(str(value))


def questions(h: dict, cashier: str) -> list[tuple[str, dict, object]]:
    """(what is asked, the API parameters, which stored events answer it)."""
    week_start = (timezone.now() - dt.timedelta(days=timezone.now().weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0)
    correlation = StoredEvent.objects.get(stream_id=h["big"]["id"], version=1).metadata["correlation_id"]
    return [
        ("who changed the price of SKU X, and when", {"sku": h["sku_x"], "type": "ProductPriceChanged"},
         lambda r: r.event_type == "ProductPriceChanged" and r.stream_id == str(h["x"])),
        ("everything till 1 did between t0 and t1",
         {"till": h["till1"], "since": h["t0"].isoformat(), "until": h["t1"].isoformat()},
         lambda r: _till_of(r) == h["till1"] and h["t0"] <= r.recorded_at < h["t1"]),
        ("every refund above 50.00 this week",
         {"type": "OrderRefunded", "amount_above": "50.00", "since": week_start.isoformat()},
         lambda r: r.event_type == "OrderRefunded" and _amount_of(r) > Decimal("50.00") and r.recorded_at >= week_start),
        ("what alice did", {"actor": "alice"}, lambda r: r.metadata.get("user") == "alice"),
        ("what the cashier did", {"actor": cashier},
         lambda r: (r.metadata.get("user") or r.data.get("cashier")) == cashier),
        ("everything in store AU2", {"store": "AU2"}, lambda r: _store_of(r) == "AU2"),
        ("every payment and refund in store AU2", {"store": "AU2", "type": "PaymentRecorded,OrderRefunded"},
         lambda r: r.event_type in ("PaymentRecorded", "OrderRefunded") and _store_of(r) == "AU2"),
        ("the stock that store AU2's sales and refunds moved", {"store": "AU2", "context": "catalog"},
         lambda r: r.context == "catalog" and r.event_type in ("StockSold", "StockReturned") and _store_of(r) == "AU2"),
        ("one order's stream", {"stream": h["first"]["id"]}, lambda r: r.stream_id == h["first"]["id"]),
        ("what one request caused, across contexts", {"correlation_id": correlation},
         lambda r: r.metadata.get("correlation_id") == correlation),
        ("the catalog's stock sold at till 2", {"till": h["till2"], "context": "catalog", "type": "StockSold"},
         lambda r: r.context == "catalog" and r.event_type == "StockSold" and _till_of(r) == h["till2"]),
    ]


def all_pages(client, params: dict, page_size: int = 7) -> tuple[list[str], set[str]]:
    """The event ids of every page, following `next`; and the sources that answered."""
    ids, sources = [], set()
    response = client.get("/api/v1/audit/events/", {**params, "page_size": page_size})
    while True:
        assert response.status_code == 200, response.json()
        body = response.json()
        ids += [event["event_id"] for event in body["results"]]
        sources.add(body["source"])
        assert body["count"] >= len(ids)
        if not body["next"]:
            assert body["count"] == len(ids)
            return ids, sources
        response = client.get(body["next"])


@pytest.fixture
def manager_client(manager_user, client_ip):
    client = APIClient(REMOTE_ADDR=client_ip)
    client.force_authenticate(manager_user)
    return client


@pytest.mark.parametrize("source", ["archive", "event-table"])
def test_each_audit_question_returns_exactly_the_expected_events(source, embedded_delivery, audit_db, settings,  # noqa: F811
                                                                 api_client, cashier_user, manager_client):
    history = shop_history(api_client, cashier_user)
    assert sorted(archived_ids()) == sorted(str(e) for e in StoredEvent.objects.values_list("event_id", flat=True))
    if source == "event-table":
        settings.MONGODB_URL = ""  # embedded mode: no archive
    every_event = StoredEvent.objects.count()
    for asked, params, predicate in questions(history, cashier_user.username):
        expected = expected_ids(predicate)
        assert 0 < len(expected) < every_event, f"{asked}: a question every or no event answers proves nothing"
        got, sources = all_pages(manager_client, params)
        assert got == expected, asked
        assert sources == {source}, asked
    price_changes = manager_client.get("/api/v1/audit/events/", {"sku": history["sku_x"],
                                                                 "type": "ProductPriceChanged"}).json()["results"]
    assert [(e["actor"], e["data"]["new_price"]) for e in price_changes] == [("alice", "58.00"), ("alice", "61.00")]


def test_an_event_delivered_twice_is_one_document(embedded_delivery, audit_db):  # noqa: F811
    from contexts.audit import archive
    from infrastructure.eventstore.envelope import Envelope

    make_till("Twice", store="AU9")
    envelopes = [Envelope.from_stored(row) for row in StoredEvent.objects.order_by("position")]
    assert archive.append(envelopes) == 0  # every one archived already, by the live delivery
    assert sorted(archived_ids()) == sorted(str(e.event_id) for e in envelopes)


def test_bad_questions_are_problems_that_name_the_parameter(audit_db, manager_client):  # noqa: F811
    for params, field in (({"since": "yesterday"}, "since"), ({"type": "OrderStolen"}, "type"),
                          ({"since": "2026-03-01T15:00:00Z", "until": "2026-03-01T14:00:00Z"}, "until"),
                          ({"amount_above": "lots"}, "amount_above"), ({"page_size": "100000"}, "page_size"),
                          ({"context": "nowhere"}, "context")):
        response = manager_client.get("/api/v1/audit/events/", params)
        assert response.status_code == 400, params
        assert response["Content-Type"].startswith("application/problem+json")
        assert field in str(response.json()), (params, response.json())


def test_the_audit_search_is_for_managers(audit_db, api_client, cashier_user):  # noqa: F811
    api_client.force_authenticate(cashier_user)
    assert api_client.get("/api/v1/audit/events/").status_code == 403


def test_the_back_office_answers_the_same_question(embedded_delivery, audit_db, client, manager_user,  # noqa: F811
                                                   api_client, cashier_user):
    history = shop_history(api_client, cashier_user)
    manager_user.is_staff = True
    manager_user.save()
    client.force_login(manager_user)
    page = client.get("/admin/audit/", {"sku": history["sku_x"], "type": "ProductPriceChanged"})
    assert page.status_code == 200
    shown = page.content.decode()
    expected = expected_ids(lambda r: r.event_type == "ProductPriceChanged" and r.stream_id == str(history["x"]))
    assert len(expected) == 2 and all(f'data-event-id="{event_id}"' in shown for event_id in expected)
    assert shown.count("data-event-id=") == 2
    bad = client.get("/admin/audit/", {"since": "yesterday"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
