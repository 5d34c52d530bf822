"""Redis stops while tills sell through the running system.

Redis is the Celery broker (tasks such as token housekeeping) and the cache (throttle counters,
the deny-list of logged-out tokens). The event pipeline does not go through it: a commit wakes
the relay in the context's Celery worker through PostgreSQL NOTIFY. With Redis down:

- sales still answer 201, each within SALE_BOUND_S (throttles and the token deny-list fail
  open), and a password login and a token refresh still work (the login lockout keeps its counts
  in the database);
- their events are published and reach every consumer of sales exactly once while Redis is
  still down: lost = 0;
- the same processes go on once Redis is back (none restarted by hand). The Celery workers run
  under scripts/supervise, as in production: should Celery/kombu exit on the lost connection,
  the supervisor starting it again is part of the recovery (counted in the figures).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid

import pytest

from tests.helpers import services
from tests.helpers.deployment import PASSWORD

from tests.helpers.running_system import ORDER_EVENTS, TillFloor, order_streams, running_system, wait_delivered

__all__ = ["running_system"]  # the shared fixture, imported for pytest

pytestmark = [pytest.mark.e2e, pytest.mark.disruptive]

TILLS = 2
SALES_WHILE_DOWN = 12
SALE_BOUND_S = 3.0  # a sale's own work; nothing on its path waits for Redis
DELIVERY_BOUND_S = 45.0


def timed_sale(floor: TillFloor, n: int) -> tuple[float, dict]:
    till = floor.tills[n % len(floor.tills)]
    started = time.monotonic()
    response = floor.sell(till, f"rd-{uuid.uuid4()}")
    seconds = time.monotonic() - started
    assert response.status == 201, (response.status, response.text[:1000])
    return seconds, response.json()


def test_sales_succeed_and_reach_every_consumer_with_redis_down(running_system):
    gw = running_system
    pids = {p.name: p.pid for p in [*gw.apis.values(), *gw.workers.values()]}
    floor = TillFloor.open(gw, TILLS)
    up_seconds = [timed_sale(floor, n)[0] for n in range(2 * TILLS)]
    refresh = gw.request("POST", "/api/v1/auth/token/", json={"username": "gw-manager", "password": PASSWORD})
    assert refresh.status == 200, refresh.text

    services("stop", "redis")
    down_at = time.monotonic()
    try:
        down = [timed_sale(floor, n) for n in range(SALES_WHILE_DOWN)]
        orders = [order["id"] for _, order in down]
        # Neither a password login (its lockout counts live in the database) nor a refresh needs Redis.
        login = gw.request("POST", "/api/v1/auth/token/", json={"username": "gw-manager", "password": PASSWORD})
        refreshed = gw.request("POST", "/api/v1/auth/token/refresh/", json={"refresh": refresh.json()["refresh"]})
        # The pipeline does not need Redis: every event reaches every consumer while it is down.
        delivered = wait_delivered(gw, orders, timeout=DELIVERY_BOUND_S)
        delivered_s = time.monotonic() - down_at
        still_down = any(line.split()[:2] == ["redis", "stopped"]
                         for line in services("status", check=False).stdout.splitlines())
    finally:
        services("start", "redis")

    assert still_down  # the deliveries above happened without Redis
    assert login.status == 200 and login.json()["access"], login.text
    assert refreshed.status == 200, refreshed.text
    down_seconds = [seconds for seconds, _ in down]
    assert max(down_seconds) < SALE_BOUND_S, down_seconds
    streams = order_streams(gw, floor.till_ids)
    assert all(streams[order] == ORDER_EVENTS for order in orders), {o: streams.get(o) for o in orders}
    appended = len(orders) * len(ORDER_EVENTS)
    assert delivered.appended == appended and delivered.lost() == 0

    gw.assert_running()
    assert {p.name: p.pid for p in [*gw.apis.values(), *gw.workers.values()]} == pids
    # And after Redis is back, a new sale is published promptly too.
    _, order = timed_sale(floor, 0)
    wait_delivered(gw, [order["id"]], timeout=30)

    figures = {
        "sales_while_down": len(orders), "succeeded": len(orders), "failed": 0,
        "latency_s_up_median": round(statistics.median(up_seconds), 3),
        "latency_s_down_median": round(statistics.median(down_seconds), 3),
        "latency_s_down_max": round(max(down_seconds), 3),
        "events_appended": appended, "published_records": delivered.on_topic,
        "duplicates_on_topic_suppressed": delivered.duplicates_on_topic,
        "applied_per_consumer": delivered.applied, "lost": delivered.lost(),
        "delivered_s_after_redis_stopped": round(delivered_s, 2),
        "celery_worker_restarts_by_supervisor": sum(w.log_text().count("supervise: ") for w in gw.workers.values()),
    }
    print(f"\nFIGURES redis-down {json.dumps(figures)}")
