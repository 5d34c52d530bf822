"""PostgreSQL restarts while tills are selling through the running system (issue 8).

The whole system runs as separate processes (gunicorns with several sales workers behind nginx,
Celery worker and beat, consumer processes); four tills sell through the gateway from four
threads while `scripts/services stop postgres` / `start postgres` happens under them. Then:

- every answer was a 201 or a clean failure: 503 problem details with Retry-After (no HTML, no
  stack trace), never a dropped connection;
- the same processes serve new sales within RECOVERY_BOUND_S of PostgreSQL being back;
- no half-written sale: every order stream holds exactly OrderPlaced, PaymentRecorded,
  OrderCompleted, and its till session records it once; every 201 is in the store;
- a retry of every submission with its Idempotency-Key answers 201 (a replay, byte for byte, of
  a sale that had committed) and creates no second order;
- every event reaches Kafka and every consumer of sales: lost = 0.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers import services, wait_until

from tests.helpers.running_system import (ORDER_EVENTS, SalesLoad, TillFloor, order_streams, outbox_rows,
                             running_system, drawer_sales, statuses, wait_delivered)

__all__ = ["running_system"]  # the shared fixture, imported for pytest

pytestmark = [pytest.mark.e2e, pytest.mark.disruptive]

TILLS = 4
RECOVERY_BOUND_S = 15.0  # from PostgreSQL accepting connections again to the next sale committed
REPLAY_SAMPLE = 20  # successes from before the restart whose replay is checked
SERVER_MARKERS = ("Traceback", "<html", "<!DOCTYPE", 'File "/')


def assert_clean_failure(attempt) -> None:
    where = f"{attempt.key}: {attempt.status} {attempt.content_type} {attempt.body[:500]!r} {attempt.error}"
    assert attempt.status == 503, where  # the database is unavailable: a 503, never a bare 500 or a reset
    assert attempt.content_type.startswith("application/problem+json"), where
    assert attempt.retry_after and int(attempt.retry_after) > 0, where
    problem = attempt.json()
    assert problem["status"] == 503 and problem["title"] and problem["detail"], where
    assert not any(marker in attempt.body.decode(errors="replace") for marker in SERVER_MARKERS), where


def test_sales_under_load_survive_a_postgres_restart(running_system):
    gw = running_system
    pids = {p.name: p.pid for p in [*gw.apis.values(), *gw.workers.values()]}
    floor = TillFloor.open(gw, TILLS)

    load = SalesLoad(floor).start()
    try:
        wait_until(lambda: load.count_since(0) >= 4 * TILLS, timeout=30, interval=0.05,
                   message="sales under load before the restart")
        stopped_at = time.monotonic()
        services("stop", "postgres")
        try:
            # The tills keep trying while the database is down: they must be told so, cleanly.
            wait_until(lambda: sum(1 for a in load.snapshot() if a.started > stopped_at and a.status != 201)
                       >= TILLS, timeout=20, interval=0.05, message="answers while PostgreSQL is down")
        finally:
            services("start", "postgres")
        back_at = time.monotonic()
        wait_until(lambda: load.count_since(back_at) >= 1, timeout=RECOVERY_BOUND_S, interval=0.05,
                   message="a sale to succeed after PostgreSQL is back")
        first_ok = min(a.started + a.seconds for a in load.snapshot() if a.started >= back_at and a.status == 201)
        recovered_s = first_ok - back_at
        wait_until(lambda: load.count_since(back_at) >= 4 * TILLS, timeout=30, interval=0.05,
                   message="sales to flow again after the restart")
    finally:
        attempts = load.stop()

    gw.assert_running()  # no process died; the same ones serve (gunicorn masters, consumers, Celery)
    assert {p.name: p.pid for p in [*gw.apis.values(), *gw.workers.values()]} == pids

    failed = [a for a in attempts if a.status != 201]
    for attempt in failed:
        assert_clean_failure(attempt)
    assert failed, "no request met the outage: the test proved nothing"

    # Every submission retried with its key, now that the database is back.
    answered = {a.key: a for a in attempts if a.status == 201}
    before = [a for a in attempts if a.status == 201 and a.started < stopped_at][-REPLAY_SAMPLE:]
    around = [a for a in attempts if a.status == 201 and a.started >= stopped_at]
    replayed_same = failed_but_committed = 0
    final: dict[str, str] = {}  # key -> order id
    retries = [*failed, *before, *around]
    with ThreadPoolExecutor(max_workers=TILLS) as pool:  # as the tills would: side by side
        responses = list(pool.map(lambda a: floor.sell(a.till, a.key), retries))
    for attempt, response in zip(retries, responses, strict=True):
        assert response.status == 201, (attempt.key, response.status, response.text[:500])
        final[attempt.key] = response.json()["id"]
        if attempt.key in answered:
            assert response.headers.get("Idempotent-Replayed") == "true", attempt.key
            assert json.loads(response.body) == answered[attempt.key].json(), attempt.key
            replayed_same += 1
        elif response.headers.get("Idempotent-Replayed") == "true":
            failed_but_committed += 1  # answered 5xx, yet committed: the retry gets the first answer
    for key, attempt in answered.items():
        final.setdefault(key, attempt.json()["id"])

    # The event store: one complete order per submission, nothing else, nothing half-written.
    streams = order_streams(gw, floor.till_ids)
    expected_orders = set(final.values()) | set(floor.warmup_orders)
    assert len(set(final.values())) == len(final), "two submissions share an order"
    assert set(streams) == expected_orders, (set(streams) ^ expected_orders)
    incomplete = {order: types for order, types in streams.items() if types != ORDER_EVENTS}
    assert not incomplete, incomplete
    assert drawer_sales(gw, floor.till_ids) == len(streams)  # each sale counted once in its drawer
    appended = sum(len(types) for types in streams.values())
    assert outbox_rows(gw, streams) == appended

    started = time.monotonic()
    delivered = wait_delivered(gw, streams, timeout=60)
    assert delivered.lost() == 0

    figures = {
        "requests": len(attempts), "succeeded": len(answered), "failed_cleanly": statuses(failed),
        "retried_with_key": len(retries), "replays_identical": replayed_same,
        "failed_but_committed": failed_but_committed,
        "orders": len(streams), "events_appended": appended, "published_records": delivered.on_topic,
        "duplicates_on_topic_suppressed": delivered.duplicates_on_topic, "applied_per_consumer": delivered.applied,
        "lost": delivered.lost(), "outage_s": round(back_at - stopped_at, 2), "recovery_s": round(recovered_s, 2),
        "outage_answers_s_max": round(max(a.seconds for a in failed), 2),
        "delivery_wait_s": round(time.monotonic() - started, 1),
    }
    print(f"\nFIGURES postgres-restart {json.dumps(figures)}")
    assert recovered_s < RECOVERY_BOUND_S
