"""/metrics from a real gunicorn with two workers: whichever worker answers the scrape, the
counters are the sum of both (prometheus-client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR)."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import ServerProcess, child_env, wait_until

pytestmark = pytest.mark.e2e

TOKEN = "gunicorn-metrics-token-8841"
REQUESTS = 40


@pytest.fixture
def two_workers(services_env, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    server = ServerProcess(child_env({**services_env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
                                      "POS_METRICS_TOKEN": TOKEN}), kind="gunicorn", name="gunicorn-metrics")
    server.cmd[server.cmd.index("--workers") + 1] = "2"
    with server:
        yield server, metrics_dir


def problems_count(server) -> float:
    response = server.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 200, response.text
    return sum(sample.value for family in text_string_to_metric_families(response.text) for sample in family.samples
               if sample.name == "pos_http_requests_total" and sample.labels.get("route") == "api/problems/")


def test_counters_are_summed_over_the_workers(two_workers):
    server, metrics_dir = two_workers
    for _ in range(REQUESTS):  # a page nothing else asks for (the start-up probes /health/live)
        assert server.get("/api/problems/").status == 200
    # Both workers answered some of them (each keeps its own file) ...
    wait_until(lambda: len(list(metrics_dir.glob("counter_*.db"))) >= 2, timeout=10,
               message="both gunicorn workers to have counted requests")
    # ... and every scrape, whichever worker takes it, reports all of them.
    assert [problems_count(server) for _ in range(6)] == [REQUESTS] * 6
    assert server.get("/metrics").status == 403  # no token, no metrics
