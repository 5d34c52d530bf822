"""Freshness of the event pipeline alone at a real rate: clones of one real sale's Order stream,
appended straight to the event store, timed until they appear in the reporting read model.

The API cannot sustain 100 sales/s on a 2-core machine (a sale costs ~25-40 ms of handler CPU),
so `till.freshness` measures the pipeline only at the rate the API reaches. Here the sales handler
is bypassed: open-loop at R sales/s, a few sender threads each append one clone of a completed
sale's Order stream (OrderPlaced, PaymentRecorded, OrderCompleted, ...; new order_id and order
number, every occurrence in the data replaced; everything else, metadata included, kept) with
`EventStore("sales").append` in one transaction, as the handler does. The commit time is taken
when that transaction has committed. From there on it is the real path: outbox -> relay (the
stack's own) -> Kafka -> the consumer processes (reporting, catalog's stock policy, sales' own
projections) -> `reporting_completed_sale`, watched by a poller.

A till sale appends to its order's stream only (its session's drawer is a command-side row,
docs/sales.md), so the clones carry what a real sale carries to the pipeline.

Called by bench/till.py (`--pipeline-rates`), which starts the stack and makes the real sales.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

COMPLETED = "OrderCompleted"


def _pct(values, p):
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


def template_sale(conn) -> tuple[str, list[tuple[str, int, dict, dict]]]:
    """The newest completed Order stream: its id and its events (type, schema version, data, metadata)."""
    row = conn.execute("SELECT stream_id FROM es_event WHERE context = 'sales' AND stream_type = 'Order' "
                       "AND event_type = %s ORDER BY position DESC LIMIT 1", [COMPLETED]).fetchone()
    if row is None:
        raise SystemExit("no completed sale in es_event to clone: make a sale through the API first")
    events = conn.execute("SELECT event_type, schema_version, data, metadata FROM es_event "
                          "WHERE stream_id = %s ORDER BY version", [row[0]]).fetchall()
    return row[0], [(t, v, d, m) for t, v, d, m in events]


def _dead_letters(conn) -> int:
    return conn.execute("SELECT count(*) FROM es_inbox WHERE status = 'dead'").fetchone()[0]


def pipeline_freshness(db, rate: float, seconds: float, senders: int = 4) -> dict:
    """`db()` opens an autocommit psycopg connection to the stack's database (the poller's and
    the checks'); the appends go through Django (set up here, in this process)."""
    from bench.common import setup_django

    setup_django()
    from django.db import connections, transaction

    from kernel.events import event_class
    from kernel.serialization import event_from_data
    from infrastructure.eventstore.store import EventStore

    with db() as conn:
        template_id, events = template_sale(conn)
        dead_before = _dead_letters(conn)
    number = next(d["number"] for t, _, d, _ in events if "number" in d)
    text = [(t, v, json.dumps(d), m) for t, v, d, m in events]
    total = int(rate * seconds)
    tag = uuid.uuid4().hex[:4]
    ids = [str(uuid.uuid4()) for _ in range(total)]

    def clone(i: int):
        new_number = f"{number}-P{tag}{i}"  # unique, within the 40 characters of the read models
        out = []
        for event_type, schema_version, data, metadata in text:
            data = json.loads(data.replace(template_id, ids[i]).replace(number, new_number))
            out.append(event_from_data(event_class("sales", event_type), data))
        return out, text[0][3]

    committed: dict[str, float] = {}
    seen: dict[str, float] = {}
    lock = threading.Lock()
    next_index = [0]
    late = [0]
    errors: list[str] = []
    start = time.time() + 0.5
    store = EventStore("sales")

    def sender():
        try:
            while True:
                with lock:
                    i = next_index[0]
                    next_index[0] += 1
                if i >= total or time.time() > start + seconds + 5:
                    break  # bounded: a store that cannot keep up does not stretch the run
                clone_events, metadata = clone(i)
                delay = start + i / rate - time.time()
                if delay > 0:
                    time.sleep(delay)
                elif delay < -0.05:
                    late[0] += 1
                try:
                    with transaction.atomic(using=store.db):
                        store.append("Order", ids[i], 0, clone_events, metadata, savepoint=False)
                except Exception as exc:  # noqa: BLE001 - counted and shown, the run goes on
                    errors.append(repr(exc)[:200])
                    continue
                t = time.time()
                with lock:
                    committed[ids[i]] = t
        finally:
            connections.close_all()

    stop = threading.Event()

    def poller():
        with db() as conn:
            while not stop.is_set():
                with lock:
                    pending = [o for o in ids[:next_index[0]] if o not in seen]
                if pending:
                    rows = conn.execute("SELECT order_id FROM reporting_completed_sale WHERE order_id = ANY(%s::uuid[])",
                                        [pending]).fetchall()
                    now = time.time()
                    for (order_id,) in rows:
                        seen.setdefault(str(order_id), now)
                time.sleep(0.005)

    poll = threading.Thread(target=poller, daemon=True)
    poll.start()
    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sending_wall = time.time() - start
    deadline = time.time() + 30
    while time.time() < deadline and not all(o in seen for o in committed):
        time.sleep(0.05)
    stop.set()
    poll.join()
    delays = sorted((seen[o] - c) * 1000 for o, c in committed.items() if o in seen)
    # The other consumers must keep up too: catalog's stock policy (OrderCompleted -> StockSold on
    # the template's products) and no dead letters anywhere.
    clone_ids = list(committed)
    catalog_wait_start = time.time()
    with db() as conn:
        deadline = time.time() + 60
        catalog_done = 0
        while time.time() < deadline:
            catalog_done = conn.execute(
                "SELECT count(*) FROM es_inbox WHERE consumer = 'catalog' AND event_type = %s "
                "AND stream_id = ANY(%s)", [COMPLETED, clone_ids]).fetchone()[0]
            if catalog_done >= len(clone_ids):
                break
            time.sleep(0.2)
        catalog_lag = time.time() - catalog_wait_start
        dead = _dead_letters(conn) - dead_before
    return {"rate": rate, "seconds": seconds, "senders": senders, "template": template_id,
            "events_per_clone": [t for t, _, _, _ in events], "committed": len(committed),
            "errors": len(errors), "error_sample": errors[:2], "late": late[0],
            "achieved_rate": len(committed) / sending_wall, "missing": len([o for o in committed if o not in seen]),
            "p50": _pct(delays, 50), "p99": _pct(delays, 99), "max": max(delays or [0]),
            "catalog_applied": catalog_done, "catalog_wait_after_reporting_s": catalog_lag, "dead_letters": dead}
