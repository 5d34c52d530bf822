"""A shop for the fault tests: products with stock, a till with an open session, sales and refunds
through the real API (DRF's test client against this test's database; each commit wakes the
relay worker through PostgreSQL NOTIFY), and the check that every read model agrees with the event table."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from decimal import Decimal

from contexts.catalog.models import ProductView
from contexts.reporting.models import CompletedSale, DailySales, ProductEntry, ProductSales
from contexts.sales.models import OrderLineView, OrderView, PriceListEntry, TillView
from infrastructure.eventstore.models import StoredEvent
from tests.helpers import wait_until
from tests.helpers.auth import at_till
from tests.sales.support import make_product, make_till, sale_body

PRODUCTS = (("RF-COF", "3.50", 40), ("RF-TEA", "2.20", 30), ("RF-BUN", "1.75", 25))
STORE = "S1"  # the legacy store: make_product receives its stock there


class Shop:
    def __init__(self, client, cashier):
        self.client = client
        self.cashier = cashier
        self.products: list[uuid.UUID] = []
        self.received: Counter = Counter()
        self.sold: Counter = Counter()
        self.refunded: Counter = Counter()
        self.orders: list[dict] = []
        self.till: uuid.UUID | None = None
        self._keys = itertools.count(1)

    def open(self, wait_timeout: float = 60.0) -> "Shop":
        """Products and a till through the catalog's and sales' commands; once sales' own copies
        arrived through Kafka, a session is opened through the API."""
        for sku, price, stock in PRODUCTS:
            product = make_product(f"{sku}-{uuid.uuid4().hex[:6]}", price, stock=stock)
            self.products.append(product)
            self.received[product] = stock
        # In the store its stock was received in (the legacy store: stock commands naming none),
        # so its delivery orders can reserve it.
        self.till = make_till("Fault till", store=STORE)
        wait_until(lambda: PriceListEntry.objects.filter(product_id__in=self.products).count() == len(self.products)
                   and TillView.objects.filter(till_id=self.till).exists(),
                   timeout=wait_timeout, interval=0.2, message="sales' price list and till via Kafka")
        at_till(self.client, self.cashier, self.till)
        response = self.client.post(f"/api/v1/sales/tills/{self.till}/open/", {"opening_float": "50.00"},
                                    format="json")
        assert response.status_code == 201, response.json()
        return self

    def sell(self, n: int) -> dict:
        """Sale number `n`: one or two lines, paid cash (change given)."""
        first, second = self.products[n % 3], self.products[(n + 1) % 3]
        lines = [(first, 1 + n % 2, None)] + ([(second, 1, None)] if n % 3 == 0 else [])
        response = self.client.post("/api/v1/sales/orders/", sale_body(self.till, lines, [("cash", "50.00")]),
                                    format="json", HTTP_IDEMPOTENCY_KEY=f"fault-{next(self._keys):05d}-{uuid.uuid4().hex[:8]}")
        assert response.status_code == 201, response.json()
        for product, quantity, _ in lines:
            self.sold[product] += quantity
        order = response.json()
        self.orders.append(order)
        return order

    def refund_first_line(self, order: dict) -> None:
        response = self.client.post(f"/api/v1/sales/orders/{order['id']}/refunds/",
                                    {"lines": [{"line_no": 1, "quantity": 1}], "method": "cash",
                                     "till_id": str(self.till)}, format="json")
        assert response.status_code == 201, response.json()
        self.refunded[uuid.UUID(order["lines"][0]["product_id"])] += 1

    def expected_stock(self) -> dict[uuid.UUID, int]:
        return {p: self.received[p] - self.sold[p] + self.refunded[p] for p in self.products}

    def caught_up(self) -> bool:
        """Cheap progress test for the wait: catalog stock and reporting's sales count are final."""
        stock = dict(ProductView.objects.filter(id__in=self.products).values_list("id", "on_hand"))
        completed = CompletedSale.objects.count()
        refunded = sum(OrderLineView.objects.filter(order_id__in=[o["id"] for o in self.orders])
                       .values_list("refunded_quantity", flat=True))
        return (stock == self.expected_stock() and completed == len(self.orders)
                and refunded == sum(self.refunded.values()))


def _events(context: str, event_type: str) -> list[dict]:
    return list(StoredEvent.objects.filter(context=context, event_type=event_type).values_list("data", flat=True))


def assert_read_models_match_events(shop: Shop) -> dict[str, int]:
    """Every read model equals what the event table says, and the shop's own bookkeeping; the
    catalog's policy had one effect per sale / refund. Returns event counts by type."""
    placed, completed = _events("sales", "OrderPlaced"), _events("sales", "OrderCompleted")
    refunds = _events("sales", "OrderRefunded")
    assert len(placed) == len(completed) == len(shop.orders)
    assert len(refunds) == sum(shop.refunded.values())

    sold, returned = Counter(), Counter()
    for data in completed:
        for line in data["lines"]:
            sold[uuid.UUID(line["product_id"])] += line["quantity"]
    for data in refunds:
        for line in data["lines"]:
            returned[uuid.UUID(line["product_id"])] += line["quantity"]
    received = Counter()
    for data in _events("catalog", "StockReceived"):
        received[uuid.UUID(data["product_id"])] += data["quantity"]
    assert (sold, returned, received) == (shop.sold, shop.refunded, shop.received)

    # the catalog's stock policy: one StockSold per (order, product), one StockReturned per (refund, product)
    sold_facts = Counter((d["order_id"], d["product_id"]) for d in _events("catalog", "StockSold"))
    returned_facts = Counter((d["refund_id"], d["product_id"]) for d in _events("catalog", "StockReturned"))
    assert set(sold_facts.values()) <= {1} and set(returned_facts.values()) <= {1}
    assert len(sold_facts) == sum(len({line["product_id"] for line in d["lines"]}) for d in completed)
    assert len(returned_facts) == sum(len({line["product_id"] for line in d["lines"]}) for d in refunds)

    # catalog and reporting stock: received - sold + refunded
    expected_stock = {p: received[p] - sold[p] + returned[p] for p in shop.products}
    assert dict(ProductView.objects.filter(id__in=shop.products).values_list("id", "on_hand")) == expected_stock
    assert dict(ProductEntry.objects.filter(product_id__in=shop.products)
                .values_list("product_id", "on_hand")) == expected_stock

    # sales' orders: one row per order, at its stream's last version, refunds on the lines
    last_version = {}
    for stream, version in StoredEvent.objects.filter(context="sales", stream_type="Order").values_list(
            "stream_id", "version"):
        last_version[stream] = max(version, last_version.get(stream, 0))
    assert {str(k): v for k, v in OrderView.objects.values_list("order_id", "version")} == last_version
    line_refunds = Counter()
    for product, quantity in OrderLineView.objects.values_list("product_id", "refunded_quantity"):
        line_refunds[product] += quantity
    assert +line_refunds == returned

    # reporting: one completed sale per OrderCompleted; units, refunds and money add up
    assert {str(o) for o in CompletedSale.objects.values_list("order_id", flat=True)} == {
        d["order_id"] for d in completed}
    items, refunded_items = Counter(), Counter()
    for product, n_items, n_refunded in ProductSales.objects.values_list("product_id", "items", "refunded_items"):
        items[product] += n_items
        refunded_items[product] += n_refunded
    assert (+items, +refunded_items) == (sold, returned)
    assert sum(DailySales.objects.values_list("total", flat=True)) == sum(Decimal(d["total"]) for d in completed)
    return dict(Counter(StoredEvent.objects.values_list("event_type", flat=True)))
