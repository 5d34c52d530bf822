"""The whole system running as separate processes, for the fault tests on the real services.

`running_system` (a fixture imported by each module that uses it) is the per-context
deployment of tests/helpers/deployment.py (gunicorns behind nginx, a Celery worker per context
hosting its relay and consumer, beat) with several gunicorn workers for sales. `TillFloor` sets up a product and
tills through the API; `SalesLoad` drives sales from several threads, one till each, and
records every answer; `ledger` reads what the event store, the outbox, the inboxes and Kafka
hold, so a test can check that nothing was half-written, lost or applied twice.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest

from tests.helpers.deployment import Deployment
from tests.helpers.kafka import event_ids, read_topic
from tests.helpers.stores import register_till_over_api
from tests.helpers.waiting import wait_until

SALES_WORKERS = 3
UNIT_PRICE = "4.00"
PAID = "10.00"  # cash for one item at 4.00: change 6.00
# A till sale paid in full is one transaction of these events on the order's stream.
ORDER_EVENTS = ["OrderPlaced", "PaymentRecorded", "OrderCompleted"]
# The consumers of sales' topic -> the database of their inbox.
# (The inbox records every event of the topics a consumer reads, whether a subscriber wants it or not.)
SALES_CONSUMERS = {"catalog": "catalog", "customers": "default", "reporting": "default", "sales": "sales"}

_shared: dict = {"deployment": None}


def _next_module_needs_it(request) -> bool:
    """Whether the item run right after this module's last one uses `running_system` too."""
    items = request.session.items
    mine = [i for i, item in enumerate(items) if item.module is request.module]
    after = mine[-1] + 1 if mine else len(items)
    return after < len(items) and "running_system" in items[after].fixturenames


@pytest.fixture(scope="module")
def running_system(request, services_env):
    """The deployment, for the modules that import this fixture. Modules that run one after the
    other share one (test_outage_*: disruptive, so pytest runs them last, and named to sort next
    to each other); otherwise it is stopped after the module, so it never idles through the rest
    of the suite."""
    if _shared["deployment"] is None:
        deployment = Deployment(services_env, gunicorn_workers={"sales": SALES_WORKERS})
        deployment.__enter__()
        _shared["deployment"] = deployment
    try:
        yield _shared["deployment"]
    finally:
        if not _next_module_needs_it(request):
            deployment, _shared["deployment"] = _shared["deployment"], None
            deployment.stop()


# --- reading the deployment's databases -----------------------------------------------------------
def query(deployment: Deployment, alias: str, sql: str, params=()) -> list[tuple]:
    return deployment.query(alias, sql, params)


def order_streams(deployment: Deployment, till_ids) -> dict[str, list[str]]:
    """{order id: its event types in version order} for the orders of these tills."""
    rows = query(deployment, "sales", """
        SELECT stream_id, array_agg(event_type ORDER BY version), array_agg(version ORDER BY version)
          FROM es_event
         WHERE context = 'sales' AND stream_type = 'Order'
           AND stream_id IN (SELECT stream_id FROM es_event
                              WHERE event_type = 'OrderPlaced' AND data->>'till_id' = ANY(%s))
         GROUP BY stream_id""", [[str(t) for t in till_ids]])
    streams = {}
    for stream_id, types, versions in rows:
        assert versions == list(range(1, len(versions) + 1)), (stream_id, versions)  # no gap in a stream
        streams[stream_id] = types
    return streams


def drawer_sales(deployment: Deployment, till_ids) -> int:
    """How many sales the drawers of these tills' sessions counted (the till session's half of a
    sale: its drawer row, written in the sale's transaction)."""
    rows = query(deployment, "sales", "SELECT coalesce(sum(sales_count), 0) FROM sales_cmd_till_drawer "
                 "WHERE till_id = ANY(%s)", [[str(t) for t in till_ids]])
    return int(rows[0][0])


def sales_event_ids(deployment: Deployment, stream_ids) -> set[uuid.UUID]:
    rows = query(deployment, "sales", "SELECT event_id FROM es_event WHERE stream_id = ANY(%s)",
                 [list(stream_ids)])
    return {row[0] for row in rows}


def unpublished(deployment: Deployment, stream_ids) -> int:
    return query(deployment, "sales", "SELECT count(*) FROM es_outbox WHERE stream_id = ANY(%s) "
                 "AND published_at IS NULL", [list(stream_ids)])[0][0]


def outbox_rows(deployment: Deployment, stream_ids) -> int:
    return query(deployment, "sales", "SELECT count(*) FROM es_outbox WHERE stream_id = ANY(%s)",
                 [list(stream_ids)])[0][0]


def applied_by(deployment: Deployment, consumer: str, ids) -> Counter:
    """How many of `ids` `consumer` recorded in its inbox, by status (applied / dead)."""
    rows = query(deployment, SALES_CONSUMERS.get(consumer, "default"),
                 "SELECT status, count(*) FROM es_inbox WHERE consumer = %s AND event_id = ANY(%s) GROUP BY status",
                 [consumer, list(ids)])
    return Counter(dict(rows))


def sales_topic(deployment: Deployment) -> str:
    return f"{deployment.topic_prefix}.sales.events"


@dataclass
class Delivery:
    """Where every event of some streams got to: the topic, and each consumer's inbox."""

    appended: int
    on_topic: int  # records on Kafka for them (a redelivered publish counts twice)
    distinct_on_topic: int
    applied: dict[str, int]

    @property
    def duplicates_on_topic(self) -> int:
        return self.on_topic - self.distinct_on_topic

    def lost(self) -> int:
        return self.appended - min([self.distinct_on_topic, *self.applied.values()])


def delivery(deployment: Deployment, stream_ids) -> Delivery:
    ids = sales_event_ids(deployment, stream_ids)
    records = [r for r in read_topic(sales_topic(deployment)) if r.key and r.key.decode() in set(stream_ids)]
    return Delivery(appended=len(ids), on_topic=len(records), distinct_on_topic=len(event_ids(records) & ids),
                    applied={c: applied_by(deployment, c, ids)["applied"] for c in SALES_CONSUMERS})


def wait_delivered(deployment: Deployment, stream_ids, timeout: float) -> Delivery:
    """Until every event of `stream_ids` is published and applied by every consumer of sales."""
    seen: dict = {}

    def everywhere():
        deployment.assert_running()
        if unpublished(deployment, stream_ids):
            return None
        seen["delivery"] = result = delivery(deployment, stream_ids)
        return result if result.lost() == 0 else None

    return wait_until(everywhere, timeout=timeout, interval=0.5,
                      message=f"every event published and applied by {', '.join(SALES_CONSUMERS)} "
                              f"(last seen: {seen.get('delivery')})")


# --- the shop floor: a product and tills, through the API -----------------------------------------
@dataclass
class Till:
    till_id: str
    token: str


@dataclass
class TillFloor:
    deployment: Deployment
    product_id: str
    tills: list[Till]
    warmup_orders: list[str] = field(default_factory=list)  # the sales that waited for the price list

    @classmethod
    def open(cls, deployment: Deployment, tills: int) -> "TillFloor":
        gw = deployment
        manager = gw.token("gw-manager")
        sku = f"RL-{uuid.uuid4().hex[:8]}"
        product = ok(gw.request("POST", "/api/v1/catalog/products/", token=manager, json={
            "sku": sku, "name": "Reliability tea", "unit_price": UNIT_PRICE, "tax_rate": "10"}), 201)
        opened = []
        for n in range(tills):
            store = f"R{uuid.uuid4().hex[:5].upper()}"
            till = register_till_over_api(gw.request, manager, f"till {n}", store, "Reliability Street")
            token = gw.token("gw-cashier", till=till["id"])
            ok(gw.request("POST", f"/api/v1/sales/tills/{till['id']}/open/", token=token,
                          json={"opening_float": "50.00"}), 201)
            opened.append(Till(till["id"], token))
        floor = cls(gw, product["id"], opened)

        # Sales prices from its own price list, which arrives through Kafka: 422 until then.
        def accepted():
            response = floor.sell(opened[0], f"warm-{uuid.uuid4()}")
            assert response.status in (201, 422), (response.status, response.text[:2000])
            if response.status == 201:
                floor.warmup_orders.append(response.json()["id"])
            return response.status == 201

        wait_until(accepted, timeout=60, interval=0.3, message="sales to accept a sale (its price list from Kafka)")
        return floor

    def body(self, till: Till) -> dict:
        return {"till_id": till.till_id, "lines": [{"product_id": self.product_id, "quantity": 1}],
                "payments": [{"method": "cash", "amount": PAID}]}

    def sell(self, till: Till, key: str, timeout: float = 20.0):
        return self.deployment.request("POST", "/api/v1/sales/orders/", token=till.token, json=self.body(till),
                                       headers={"Idempotency-Key": key}, timeout=timeout)

    @property
    def till_ids(self) -> list[str]:
        return [t.till_id for t in self.tills]


def ok(response, status=200):
    assert response.status == status, (response.status, response.text[:2000])
    return response.json()


# --- driving sales from several threads -------------------------------------------------------------
@dataclass
class Attempt:
    till: Till
    key: str
    started: float
    seconds: float
    status: int | None  # None: no HTTP answer (connection refused or reset, timeout)
    content_type: str = ""
    body: bytes = b""
    retry_after: str | None = None
    error: str = ""

    def json(self):
        return json.loads(self.body)


@dataclass
class SalesLoad:
    """`threads` tills selling one item each, as fast as answers come back (a pause after a
    failure, as a till would), until `stop()`. Every attempt is recorded."""

    floor: TillFloor
    pause_after_failure: float = 0.2
    attempts: list[Attempt] = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._sell, args=(till,), name=f"till-{n}", daemon=True)
                         for n, till in enumerate(self.floor.tills)]
        self.errors: list[BaseException] = []

    def _sell(self, till: Till) -> None:
        try:
            while not self._stop.is_set():
                key = f"rl-{uuid.uuid4()}"
                started = time.monotonic()
                try:
                    response = self.floor.sell(till, key)
                except OSError as exc:
                    attempt = Attempt(till, key, started, time.monotonic() - started, None, error=repr(exc))
                else:
                    attempt = Attempt(till, key, started, time.monotonic() - started, response.status,
                                      response.content_type, response.body, response.headers.get("Retry-After"))
                with self._lock:
                    self.attempts.append(attempt)
                if attempt.status != 201:
                    self._stop.wait(self.pause_after_failure)
        except BaseException as exc:  # noqa: BLE001 - reported by stop()
            self.errors.append(exc)

    def start(self) -> "SalesLoad":
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> list[Attempt]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        assert not any(t.is_alive() for t in self._threads), "a load thread did not stop"
        assert not self.errors, self.errors
        return self.snapshot()

    def snapshot(self) -> list[Attempt]:
        with self._lock:
            return list(self.attempts)

    def count_since(self, moment: float, status: int | None = 201) -> int:
        return sum(1 for a in self.snapshot() if a.started >= moment and a.status == status)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def statuses(attempts) -> dict:
    return dict(sorted(Counter(str(a.status) for a in attempts).items()))
