"""Crypto-shredding on the real processes of full mode (tests/helpers/fleet.py: the relay worker,
a Kafka consumer per context, the audit consumer writing to FerretDB): a customer is registered,
sold to, refunded, sent a delivery order and forgotten; then their name, email, phone, address and
the delivery order's shipping address are nowhere in plaintext, not in the system's PostgreSQL database, Kafka topics, audit archive or process logs,
and rebuilding every projection gives the same read models.
"""

from __future__ import annotations

import random
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import models

from contexts.customers.models import CustomerView
from contexts.sales.models import CustomerDirectoryEntry, OrderView
from infrastructure.projections.rebuild import replayable_projections
from kernel.values import ERASED
from tests.audit.support import audit_db  # noqa: F401 - fixture
from tests.helpers import plaintext_scan, wait_until
from tests.helpers.fleet import fleet, topic_prefix, wait_worker_ready  # noqa: F401 - fixtures
from tests.helpers.shop import STORE, Shop
from tests.sales.support import sale_body, sell

pytestmark = pytest.mark.e2e

CONSUMERS = ("catalog", "customers", "sales", "reporting", "audit")
WAIT_S = 120.0
# The tables that copy events: they must hold the details sealed even while the customer exists.
EVENT_COPIES = ("es_event", "es_outbox", "es_inbox", "es_snapshot", "es_idempotency")


def a_person() -> dict:
    tag = uuid.uuid4().hex[:8]
    digits = "".join(random.choice("0123456789") for _ in range(8))
    return {"name": f"Philippa Quarmby {tag}", "email": f"pq.{tag}@example.org", "phone": f"+4930{digits}",
            "address": {"line1": f"Lindenallee {tag}", "city": "Berlin", "country": "DE"}}


def a_shipping_address() -> dict:
    tag = uuid.uuid4().hex[:8]
    return {"name": f"Zebedee Featherstonehaugh {tag}", "address": f"Pumpernickelstrasse {tag}",
            "city": "Berlin", "postal_code": "10117", "country": "DE"}


def needles(person: dict) -> list[str]:
    ship_to = person["ship_to"]
    return [person["name"], person["email"], person["phone"].lstrip("+"), person["address"]["line1"],
            ship_to["name"], ship_to["address"]]


def read_models() -> dict[str, list[dict]]:
    """Every replayable projection's tables, row by row (a surrogate auto id left out: a rebuild
    numbers rows anew; so is a write-time stamp), in a stable order."""
    tables = {}
    for projection in replayable_projections():
        for model in projection.tables:
            pk = model._meta.pk
            # `changed_at` (sales' price list) is when the row was last written, the tills' sync
            # cursor: a rebuild writes every row again, so it moves on by design.
            fields = [f.attname for f in model._meta.concrete_fields
                      if not (f is pk and isinstance(f, models.AutoField)) and f.attname != "changed_at"]
            tables[model._meta.db_table] = sorted(model.objects.values(*fields), key=repr)
    return tables


def wait_for(condition, message: str, fleet) -> None:  # noqa: F811
    wait_until(lambda: fleet.assert_running() or condition(), timeout=WAIT_S, interval=0.2, message=message)


def test_a_forgotten_customer_is_nowhere_in_plaintext_and_a_rebuild_agrees(  # noqa: F811
        fleet, audit_db, api_client, cashier_user, manager):
    fleet.env["MONGODB_DATABASE"] = audit_db
    for context in CONSUMERS:
        fleet.start(f"consumer:{context}")
    wait_worker_ready(fleet.start("relay"))
    shop = Shop(api_client, cashier_user).open()

    person = a_person()
    registered = manager.post("/api/v1/customers/", person, format="json")
    assert registered.status_code == 201, registered.json()
    customer_id = registered.json()["id"]
    wait_for(lambda: CustomerDirectoryEntry.objects.filter(customer_id=customer_id, name=person["name"]).exists(),
             "sales' customer directory to have the name (opened from the sealed event)", fleet)

    # Sold to, then part of it refunded: points earned, then some taken back.
    body = sale_body(shop.till, [(shop.products[0], 3, None)], [("cash", "50.00")], customer_id=customer_id)
    sale = sell(api_client, body)
    assert sale.status_code == 201, sale.json()
    order = sale.json()
    shop.orders.append(order)
    shop.sold[shop.products[0]] += 3
    shop.refund_first_line(order)
    wait_for(shop.caught_up, "catalog and reporting to have the sale and the refund", fleet)
    wait_for(lambda: CustomerView.objects.filter(id=customer_id, version=3).exists(),
             "the customer's points earned and reversed (version 3)", fleet)
    points = CustomerView.objects.get(id=customer_id).points_balance
    assert points == 7  # 3 x 3.50 = 10.50 earns 10; the refund of 1 x 3.50 takes back 3

    # A delivery order to them: its shipping address is sealed under sales' key for the customer.
    person["ship_to"] = a_shipping_address()
    delivery = manager.post("/api/v1/sales/orders/", {
        "kind": "delivery", "store_code": STORE, "customer_id": customer_id, "ship_to": person["ship_to"],
        "lines": [{"product_id": str(shop.products[1]), "quantity": 1}]}, format="json",
        HTTP_IDEMPOTENCY_KEY=f"e2e-delivery-{uuid.uuid4().hex[:8]}")
    assert delivery.status_code == 201, delivery.json()
    delivery = delivery.json()
    wait_for(lambda: OrderView.objects.filter(order_id=delivery["id"], status="confirmed",
                                              ship_to=person["ship_to"]).exists(),
             "the delivery order confirmed by the catalog's reservation, its address opened in sales", fleet)

    # Before forgetting: the event copies hold the details only sealed; read models may hold them.
    assert plaintext_scan.in_postgresql(needles(person), tables=EVENT_COPIES) == []
    assert plaintext_scan.in_kafka(needles(person)) == []
    assert plaintext_scan.in_ferretdb(needles(person)) == []
    assert OrderView.objects.get(order_id=order["id"]).customer_name == person["name"]
    assert person["ship_to"]["name"] in api_client.get(f"/api/v1/sales/orders/{delivery['id']}/receipt/").content.decode()

    exported = manager.get(f"/api/v1/customers/{customer_id}/export/")
    assert exported.status_code == 200, exported.json()
    export = exported.json()
    assert {k: export["customer"][k] for k in ("name", "email", "phone")} == {
        k: person[k] for k in ("name", "email", "phone")}
    assert [e["event_type"] for e in export["events"]] == [
        "CustomerRegistered", "LoyaltyPointsEarned", "LoyaltyPointsReversed"]
    assert export["events"][0]["data"]["address"]["line1"] == person["address"]["line1"]
    assert [a["ship_to"] for a in export["sales"]["delivery_addresses"]] == [person["ship_to"]]

    forgotten = manager.post(f"/api/v1/customers/{customer_id}/forget/")
    assert forgotten.status_code == 200, forgotten.json()
    assert forgotten.json()["status"] == "forgotten" and forgotten.json()["name"] == ERASED
    wait_for(lambda: OrderView.objects.filter(order_id=order["id"], customer_name=ERASED).exists()
             and CustomerView.objects.filter(id=customer_id, status="forgotten").exists()
             and OrderView.objects.filter(order_id=delivery["id"], ship_to__name=ERASED).exists(),
             "the read models to show the customer and their shipping address erased", fleet)
    wait_for(lambda: plaintext_scan.in_ferretdb(["CustomerForgotten"]),
             "the audit archive to have CustomerForgotten", fleet)

    # Everything that can show the customer shows them erased; points and totals stay.
    detail = manager.get(f"/api/v1/customers/{customer_id}/").json()
    assert (detail["name"], detail["email"], detail["phone"], detail["address"], detail["points_balance"]) == (
        ERASED, None, None, None, points)
    receipt = api_client.get(f"/api/v1/sales/orders/{order['id']}/receipt/?format=json").json()
    assert receipt["customer"] == ERASED
    shipping = api_client.get(f"/api/v1/sales/orders/{delivery['id']}/receipt/?format=json").json()
    assert shipping["customer"] == ERASED and shipping["ship_to"] == {
        "name": ERASED, "address": None, "city": None, "postal_code": None, "country": None}
    assert api_client.get(f"/api/v1/sales/orders/{order['id']}/").json()["total"] == order["total"]
    assert manager.get(f"/api/v1/customers/{customer_id}/export/").status_code == 404
    history = manager.get(f"/api/v1/customers/{customer_id}/history/").json()
    assert history[0]["data"]["name"] == ERASED and history[-1]["data"]["requested_by"] == "test-manager"

    # Nowhere in plaintext: every database, topic, archive collection and process log.
    assert plaintext_scan.in_postgresql(needles(person)) == []
    assert plaintext_scan.in_kafka(needles(person)) == []
    assert plaintext_scan.in_ferretdb(needles(person)) == []
    assert plaintext_scan.in_files([p.log_path for p in fleet.history], needles(person)) == []

    # A rebuild of every projection gives the same read models.
    fleet.stop_all()
    before = read_models()
    call_command("rebuild_projections", "--no-progress", stdout=StringIO())
    assert read_models() == before

    # The email (and phone) are free again.
    again = manager.post("/api/v1/customers/", {k: person[k] for k in ("name", "email", "phone")}, format="json")
    assert again.status_code == 201, again.json()
