"""The catalog on the real services, as `scripts/run-tests` configures them (PostgreSQL, Kafka on,
Celery not eager): writes go through the API, the outbox relay publishes them to Kafka
(`relay_pending`, called explicitly instead of a Celery worker), and the catalog's consumer loop
(`infrastructure.consumers.runner.run`, in a thread) applies them to the read models and runs the
stock policy on sales events. Then `rebuild_projections --context catalog` must reproduce the
same tables.

The sales events are appended to the event store under context "sales" (stream type "Order") in
the shape contexts/catalog/policies.py documents, and relayed to the sales topic like any other."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import ClassVar

import pytest
from django.core.management import call_command

from contexts.catalog.domain.reservation import reservation_stream_id
from contexts.catalog.domain.stock import stock_stream_id
from contexts.catalog.models import ProductView
from infrastructure.consumers.models import InboxEvent
from infrastructure.eventstore.models import StoredEvent
from infrastructure.eventstore.store import EventStore
from infrastructure.kafka.topics import topic_for
from infrastructure.outbox.models import OutboxEntry
from infrastructure.outbox.relay import relay_pending
from tests.helpers import wait_until
from tests.helpers.consumers import ConsumerThread
from tests.helpers.kafka import event_ids, header, read_topic

from .support import API, catalog_tables, ean13, unique_sku

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WAIT_S = 60


@dataclass(frozen=True)
class SalesEvent:
    """A sales event as the sales context would store it, for the store's `append`: only what the
    store needs (its type, schema version and data). Deliberately not a registered DomainEvent
    class, so it cannot shadow the sales context's own classes in this process."""

    event_type_name: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    @classmethod
    def event_type(cls) -> str:
        return cls.event_type_name


@dataclass(frozen=True)
class OrderCompleted(SalesEvent):
    event_type_name: ClassVar[str] = "OrderCompleted"
    order_id: str
    kind: str
    lines: tuple
    store_code: str = "S1"


@dataclass(frozen=True)
class OrderPlaced(SalesEvent):
    event_type_name: ClassVar[str] = "OrderPlaced"
    order_id: str
    kind: str
    lines: tuple
    store_code: str = "S1"


def line(product_id, quantity) -> dict:
    return {"product_id": str(product_id), "quantity": quantity, "unit_price": "3.80"}


def publish_sales_event(event: SalesEvent) -> uuid.UUID:
    """Append one sales event (a new order stream) and relay the sales outbox to Kafka."""
    (envelope,) = EventStore("sales").append("Order", event.order_id, 0, [event],
                                              metadata={"correlation_id": uuid.uuid4().hex, "user": "cashier-e2e",
                                                        "till": "till-e2e"})
    assert relay_pending("sales") == 1
    return envelope.event_id


@pytest.fixture
def kafka_prefix(settings, services_env):
    """Topics and consumer group of this test only."""
    assert settings.KAFKA_ENABLED, "run with scripts/run-tests: KAFKA_BOOTSTRAP_SERVERS must be set"
    assert not settings.CELERY_TASK_ALWAYS_EAGER, "run with scripts/run-tests: Celery must not be eager"
    base = os.environ.get("KAFKA_TOPIC_PREFIX") or "pos-test"
    settings.KAFKA_TOPIC_PREFIX = f"{base}.catalog-e2e-{uuid.uuid4().hex[:8]}"
    return settings.KAFKA_TOPIC_PREFIX


@pytest.fixture
def catalog_consumer(kafka_prefix):
    consumer = ConsumerThread("catalog", stop_timeout=30)
    consumer.start(wait_assigned=WAIT_S)
    try:
        yield consumer
    finally:
        consumer.stop()


@pytest.fixture
def manager(api_client, manager_user):
    api_client.force_authenticate(manager_user)
    return api_client


def relayed_and(condition):
    """A wait_until condition that first publishes what the catalog has pending (the consumer's
    own writes, e.g. a sale's StockSold, are committed in the consumer thread)."""
    def check():
        relay_pending("catalog")
        return condition()
    return check


def product(product_id) -> ProductView | None:
    return ProductView.objects.filter(id=product_id).first()


def test_api_writes_and_sales_events_reach_the_read_model_through_kafka(manager, catalog_consumer):
    # 1. A category and a product through the API: the read model follows via Kafka.
    response = manager.post(f"{API}/categories/", {"name": "Bakery"}, format="json")
    assert response.status_code == 201, response.content
    category_id = response.json()["id"]
    sku, barcode = unique_sku("E2E"), ean13()
    response = manager.post(f"{API}/products/", {
        "sku": sku, "barcode": barcode, "name": "Sourdough bread 800 g", "category_id": category_id,
        "unit_price": "3.80", "tax_rate": "5", "low_stock_threshold": 5}, format="json")
    assert response.status_code == 201, response.content
    product_id = response.json()["id"]
    assert product(product_id) is None  # not projected before the relay has published it
    assert relay_pending("catalog") == 2
    row = wait_until(lambda: product(product_id), timeout=WAIT_S, message="the product in the read model")
    assert (row.sku, row.barcode, row.category_name, str(row.unit_price), row.on_hand) == (
        sku, barcode, "Bakery", "3.80", 0)
    created = InboxEvent.objects.get(consumer="catalog", stream_id=product_id, event_type="ProductCreated")
    assert created.metadata["_kafka"]["topic"] == topic_for("catalog")  # it came through Kafka
    lookup = manager.get(f"{API}/products/lookup/", {"code": barcode})
    assert lookup.status_code == 200 and lookup.json()["id"] == product_id

    # 2. Stock received through the API.
    response = manager.post(f"{API}/products/{product_id}/receive-stock/", {"quantity": 10, "supplier_reference": "PO-1"},
                            format="json")
    assert response.status_code == 200 and response.json()["on_hand"] == 10
    wait_until(relayed_and(lambda: product(product_id).on_hand == 10), timeout=WAIT_S,
               message="on hand 10 after the receipt")

    # 3. A completed till sale, published by "sales": the policy takes the stock down.
    order_id = str(uuid.uuid4())
    sale_event_id = publish_sales_event(OrderCompleted(order_id=order_id, kind="till", lines=(line(product_id, 3),)))
    row = wait_until(relayed_and(lambda: (p := product(product_id)).on_hand == 7 and p), timeout=WAIT_S,
                     message="on hand 10 - 3 after the sale")
    assert (row.on_hand, row.available, row.last_movement_kind) == (7, 7, "sold")
    sold = StoredEvent.objects.get(context="catalog", stream_id=stock_stream_id(product_id, "S1"),
                                   event_type="StockSold")
    assert sold.data["order_id"] == order_id and sold.data["quantity"] == 3
    assert sold.metadata["causation_id"] == str(sale_event_id) and sold.metadata["user"] == "policy:sales"
    sale_inbox = InboxEvent.objects.get(consumer="catalog", event_id=sale_event_id)
    assert sale_inbox.metadata["_kafka"]["topic"] == topic_for("sales")

    # 4. A delivery order: the saga's answer goes out on the catalog topic.
    delivery_id = str(uuid.uuid4())
    publish_sales_event(OrderPlaced(order_id=delivery_id, kind="delivery", lines=(line(product_id, 4),)))
    wait_until(relayed_and(lambda: product(product_id).reserved == 4), timeout=WAIT_S,
               message="4 units reserved for the delivery order")
    reserved = StoredEvent.objects.get(stream_id=reservation_stream_id(delivery_id))
    assert reserved.event_type == "StockReserved"
    records = read_topic(topic_for("catalog"), timeout=WAIT_S)
    replies = [r for r in records if header(r, "ce_type") and r.key == reservation_stream_id(delivery_id).encode()]
    assert [header(r, "ce_id") for r in replies] == [str(reserved.event_id)]
    assert event_ids(records) >= set(StoredEvent.objects.filter(context="catalog").values_list("event_id", flat=True))
    row = product(product_id)
    assert (row.on_hand, row.reserved, row.available, row.is_low_stock) == (7, 4, 3, True)
    assert not OutboxEntry.objects.filter(published_at__isnull=True).exists()

    # 5. Every catalog event was applied once; then the rebuild reproduces the same tables.
    catalog_consumer.stop()
    assert catalog_consumer.stats.dead == 0
    catalog_events = StoredEvent.objects.filter(context="catalog").count()
    assert InboxEvent.objects.filter(consumer="catalog", source_context="catalog",
                                     status=InboxEvent.APPLIED).count() == catalog_events
    before = catalog_tables()
    assert len(before["products"]) == 1 and len(before["categories"]) == 1 and len(before["movements"]) == 3
    call_command("rebuild_projections", "--context", "catalog", "--no-progress")
    assert catalog_tables() == before

