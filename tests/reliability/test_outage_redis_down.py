"""Redis stops while tills sell through the running system (issue 8).

Redis is the Celery broker (the after-commit kicks of the relay, beat's sweep) and the cache
(throttle counters, the deny-list of logged-out tokens). With it down:

- sales still answer 201, each within KICK_BOUND_S (the kick fails fast and quietly; throttles
  and the token deny-list fail open), while a password login answers 503 (its throttle is its
  guard against guessing) and a token refresh still works;
- their events wait in the outbox: nothing can publish them while the broker is away;
- once Redis is back, beat's sweep (every POS_RELAY_SWEEP_SECONDS) publishes them without anyone
  stepping in, and every consumer of sales applies each exactly once: lost = 0;
- the same processes do all of it (none restarted by hand). The Celery worker runs under
  scripts/supervise, as in production: Celery/kombu may exit on a lost Redis connection, and
  the supervisor starting it again is part of the recovery (counted in the figures).

tests/integration/test_outbox_relay.py covers the kick inside one process; this drives the system.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid

import pytest

from tests.helpers import services
from tests.helpers.deployment import PASSWORD

from .running_system import (ORDER_EVENTS, TillFloor, order_streams, running_system, unpublished,
                             wait_delivered)

__all__ = ["running_system"]  # the shared fixture, imported for pytest

pytestmark = [pytest.mark.e2e, pytest.mark.disruptive]

TILLS = 2
SALES_WHILE_DOWN = 12
KICK_BOUND_S = 3.0  # a sale's own work plus the kick's bounded wait for a broker connection (2 s)
CATCH_UP_BOUND_S = 45.0


def timed_sale(floor: TillFloor, n: int) -> tuple[float, dict]:
    till = floor.tills[n % len(floor.tills)]
    started = time.monotonic()
    response = floor.sell(till, f"rd-{uuid.uuid4()}")
    seconds = time.monotonic() - started
    assert response.status == 201, (response.status, response.text[:1000])
    return seconds, response.json()


def test_sales_succeed_with_redis_down_and_the_sweep_catches_up(running_system):
    gw = running_system
    pids = {p.name: p.pid for p in [*gw.apis.values(), *gw.workers.values()]}
    floor = TillFloor.open(gw, TILLS)
    up_seconds = [timed_sale(floor, n)[0] for n in range(2 * TILLS)]
    refresh = gw.request("POST", "/api/v1/auth/token/", json={"username": "gw-manager", "password": PASSWORD})
    assert refresh.status == 200, refresh.text

    services("stop", "redis")
    try:
        down = [timed_sale(floor, n) for n in range(SALES_WHILE_DOWN)]
        orders = [order["id"] for _, order in down]
        # Nobody can publish them while the broker is away: they wait in the outbox. (Counted for
        # all of them; asserted for the last sale, since a task the worker took before Redis
        # stopped may still have run after the first ones.)
        waiting = unpublished(gw, orders)
        last_waiting = unpublished(gw, orders[-1:])
        # A password login needs its throttle, so it waits for Redis (503); a refresh does not.
        login = gw.request("POST", "/api/v1/auth/token/", json={"username": "gw-manager", "password": PASSWORD})
        refreshed = gw.request("POST", "/api/v1/auth/token/refresh/", json={"refresh": refresh.json()["refresh"]})
    finally:
        services("start", "redis")
    back_at = time.monotonic()

    assert (login.status, login.content_type, login.headers.get("Retry-After")) == (
        503, "application/problem+json", "5"), login.text
    assert refreshed.status == 200, refreshed.text
    # The kicks failed quietly (logged, the sale answered 201): the sweep did the publishing.
    assert "could not queue the relay of sales" in gw.apis["sales"].log_text()
    down_seconds = [seconds for seconds, _ in down]
    assert max(down_seconds) < KICK_BOUND_S, down_seconds
    streams = order_streams(gw, floor.till_ids)
    assert all(streams[order] == ORDER_EVENTS for order in orders), {o: streams.get(o) for o in orders}
    appended = len(orders) * len(ORDER_EVENTS)
    assert last_waiting == len(ORDER_EVENTS) and 0 < waiting <= appended

    delivered = wait_delivered(gw, orders, timeout=CATCH_UP_BOUND_S)
    caught_up_s = time.monotonic() - back_at
    assert delivered.appended == appended and delivered.lost() == 0

    gw.assert_running()
    assert {p.name: p.pid for p in [*gw.apis.values(), *gw.workers.values()]} == pids
    # The kicks work again (a fresh broker connection): a new sale is published promptly.
    _, order = timed_sale(floor, 0)
    wait_delivered(gw, [order["id"]], timeout=30)

    figures = {
        "sales_while_down": len(orders), "succeeded": len(orders), "failed": 0,
        "latency_s_up_median": round(statistics.median(up_seconds), 3),
        "latency_s_down_median": round(statistics.median(down_seconds), 3),
        "latency_s_down_max": round(max(down_seconds), 3),
        "events_appended": appended, "pending_while_down": waiting, "published_records": delivered.on_topic,
        "duplicates_on_topic_suppressed": delivered.duplicates_on_topic,
        "applied_per_consumer": delivered.applied, "lost": delivered.lost(),
        "catch_up_s_after_redis_back": round(caught_up_s, 2),
        "celery_worker_restarts_by_supervisor": gw.workers["worker"].log_text().count("supervise: "),
    }
    print(f"\nFIGURES redis-down {json.dumps(figures)}")
