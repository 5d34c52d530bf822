"""Liveness and readiness, including what readiness says while a dependency is down.

The disruptive tests stop a real service with `scripts/services stop NAME` and always start it again.
"""

import time

import pytest

from tests.helpers import ServerProcess, child_env, services, wait_until

pytestmark = pytest.mark.e2e

ALL_CHECKS = {"database", "redis", "kafka"}
READY_BOUND_S = 10.0  # each check has a 2 s timeout; a refused connection must not take longer than this


def ready_in_process(client):
    started = time.monotonic()
    response = client.get("/health/ready")
    return response.status_code, response.json(), time.monotonic() - started


def assert_all_up(status, body):
    assert status == 200, body
    assert body["status"] == "ready"
    assert body["mode"] == "full"
    assert set(body["checks"]) == ALL_CHECKS
    assert {name: check["status"] for name, check in body["checks"].items()} == dict.fromkeys(ALL_CHECKS, "up")


def assert_only_down(status, body, elapsed, down: str):
    assert status == 503, body
    assert body["status"] == "unavailable"
    assert set(body["checks"]) == ALL_CHECKS
    expected = {name: ("down" if name == down else "up") for name in ALL_CHECKS}
    assert {name: check["status"] for name, check in body["checks"].items()} == expected
    assert set(body["checks"][down]) == {"status"}  # which one, not why: the exception's text is logged
    assert elapsed < READY_BOUND_S, f"/health/ready took {elapsed:.1f}s with {down} down"


def test_live_answers_200(client):
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_lists_every_dependency_of_full_mode_as_up(client):
    status, body, _ = ready_in_process(client)

    assert_all_up(status, body)
    assert all(check["ms"] >= 0 for check in body["checks"].values())


@pytest.mark.django_db
def test_ready_refuses_other_methods(client):
    assert client.post("/health/ready").status_code == 405


@pytest.fixture
def uncached_ready(settings):
    settings.POS_READY_CACHE_SECONDS = 0


@pytest.mark.disruptive
@pytest.mark.django_db
@pytest.mark.parametrize("service", ["redis", "kafka"])
def test_ready_names_a_stopped_service_as_down_and_recovers(client, service, uncached_ready):
    assert_all_up(*ready_in_process(client)[:2])

    services("stop", service)
    try:
        assert_only_down(*ready_in_process(client), down=service)
    finally:
        services("start", service)

    def recovered():
        status, body, _ = ready_in_process(client)
        return status == 200 and body

    assert_all_up(200, wait_until(recovered, timeout=60, interval=0.5, message=f"/health/ready after {service} restart"))


@pytest.fixture
def gunicorn(services_env):
    # A separate server process: this test process's own PostgreSQL connections die with the server.
    with ServerProcess(child_env({**services_env, "POS_READY_CACHE_SECONDS": "0"}), kind="gunicorn",
                       name="gunicorn-health") as server:
        yield server


@pytest.mark.disruptive
def test_ready_names_a_stopped_database_as_down_and_recovers(gunicorn):
    def ready():
        started = time.monotonic()
        response = gunicorn.get("/health/ready", timeout=READY_BOUND_S + 5)
        return response.status, response.json(), time.monotonic() - started

    assert_all_up(*ready()[:2])

    services("stop", "postgres")
    try:
        assert_only_down(*ready(), down="database")
        assert gunicorn.get("/health/live").status == 200  # alive, just not ready
    finally:
        services("start", "postgres")

    def recovered():
        status, body, _ = ready()
        return status == 200 and body

    assert_all_up(200, wait_until(recovered, timeout=60, interval=0.5, message="/health/ready after postgres restart"))


@pytest.mark.django_db
def test_ready_says_which_dependency_is_down_but_not_why_and_reuses_its_answer(client, settings, monkeypatch):
    """It returned the exception's text (hosts, ports) and opened connections on every call."""
    from infrastructure import health
    from tests.helpers.net import free_port

    settings.POS_READY_CACHE_SECONDS = 60
    settings.KAFKA_BOOTSTRAP_SERVERS = f"127.0.0.1:{free_port()}"  # nothing listens there
    runs = []
    real_kafka_check = health.check_kafka
    monkeypatch.setattr(health, "check_kafka", lambda: runs.append(1) or real_kafka_check())
    monkeypatch.setitem(health._last, "answer", None)
    monkeypatch.setitem(health._last, "at", float("-inf"))

    first = client.get("/health/ready")
    assert first.status_code == 503 and first.json()["checks"]["kafka"] == {"status": "down"}
    assert "127.0.0.1" not in first.content.decode() and "refused" not in first.content.decode().lower()
    assert client.get("/health/ready").json() == first.json() and len(runs) == 1  # reused, not re-run
