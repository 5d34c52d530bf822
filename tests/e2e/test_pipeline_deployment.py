"""The pipeline's figures on the per-context deployment (tests/helpers/deployment.py), as an
operator sees them: with reporting's worker stopped, a burst of sales makes reporting's lag grow on
its /metrics and its /health/ready say "degraded"; once the worker is back, the lag falls to 0 and
readiness is "ready" again, and the sales report counts every sale."""

import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers.deployment import Deployment
from tests.helpers.processes import ManagedProcess
from tests.helpers.stores import register_till_over_api
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.e2e

TOKEN = "deployment-metrics-token-1177"
SALES = 12
MAX_LAG = 5


@pytest.fixture
def deployment(services_env):
    deployment = Deployment(services_env)
    deployment.env.update({"POS_METRICS_TOKEN": TOKEN, "POS_READY_CACHE_SECONDS": "0",
                           "POS_READY_MAX_CONSUMER_LAG": str(MAX_LAG)})
    with deployment:
        yield deployment


def samples(deployment, context: str) -> list:
    response = deployment.apis[context].get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 200, response.text
    return [s for family in text_string_to_metric_families(response.text) for s in family.samples]


def lag(deployment, consumer: str) -> float:
    return sum(s.value for s in samples(deployment, consumer)
               if s.name == "pos_consumer_lag_events" and s.labels["consumer"] == consumer)


def ready(deployment, context: str) -> dict:
    response = deployment.apis[context].get("/health/ready")
    assert response.status == 200, response.text
    return response.json()


def ok(response, status=200):
    assert response.status == status, (response.status, response.text[:2000])
    return response.json()


def test_lag_grows_while_a_consumer_is_stopped_and_falls_to_zero_after(deployment):
    gw = deployment
    manager = gw.token("gw-manager")
    product = ok(gw.request("POST", "/api/v1/catalog/products/", token=manager, json={
        "sku": f"OPS-{uuid.uuid4().hex[:6]}", "name": "Ops coffee", "unit_price": "2.50", "tax_rate": "10"}), 201)
    till = register_till_over_api(gw.request, manager, "Ops till", "OP1", "Ops Street")
    cashier = gw.token("gw-cashier", till=till["id"])
    ok(gw.request("POST", f"/api/v1/sales/tills/{till['id']}/open/", token=cashier, json={"opening_float": "0.00"}),
       201)
    body = {"till_id": till["id"], "lines": [{"product_id": product["id"], "quantity": 2}],
            "payments": [{"method": "card", "amount": "5.00"}]}

    def sell():
        response = gw.request("POST", "/api/v1/sales/orders/", token=cashier, json=body,
                              headers={"Idempotency-Key": f"ops-{uuid.uuid4()}"})
        assert response.status in (201, 422), (response.status, response.text)
        return response.status == 201

    wait_until(sell, timeout=60, interval=0.3, message="sales to accept a sale (its price list comes from Kafka)")

    worker = gw.workers["worker-reporting"]
    worker.stop()
    for _ in range(SALES):
        assert sell()

    # Each sale is at least OrderPlaced, PaymentRecorded and OrderCompleted on the sales topic.
    wait_until(lambda: lag(gw, "reporting") >= 3 * SALES, timeout=60, interval=0.5,
               message="reporting's lag to show the burst")
    body_ready = ready(gw, "reporting")
    assert body_ready["status"] == "degraded", body_ready
    assert "consumer:reporting" in body_ready["pipeline"]["behind"]
    assert body_ready["pipeline"]["consumers"]["reporting"]["lag"] >= 3 * SALES
    # catalog's own consumer keeps up (it applies the burst in batches of up to 250 ms): ready
    # again while reporting is still stopped and behind
    wait_until(lambda: ready(gw, "catalog")["status"] == "ready", timeout=30, interval=0.2,
               message="catalog to be ready while reporting is behind")
    assert ready(gw, "reporting")["status"] == "degraded"
    placed = sum(s.value for s in samples(gw, "sales") if s.name == "pos_commands_total" and s.labels["outcome"] == "ok"
                 and s.labels["context"] == "sales")
    assert placed >= SALES + 1

    restarted = ManagedProcess(f"{worker.name}-again", worker.cmd, worker.env)
    gw.workers["worker-reporting"] = gw._launch(restarted)
    # Generous: on a loaded machine a starved consumer misses heartbeats, the group rebalances and
    # a commit fails; the events come again (deduplicated) and the next commit moves the offsets.
    wait_until(lambda: lag(gw, "reporting") == 0, timeout=240, interval=1.0,
               message="reporting's lag to fall back to 0 once its worker is back")
    assert ready(gw, "reporting")["status"] == "ready"
    applied_age = [s.value for s in samples(gw, "reporting")
                   if s.name == "pos_consumer_last_applied_age_seconds" and s.labels["consumer"] == "reporting"]
    assert applied_age and applied_age[0] < 240
