#!/usr/bin/env python
"""Benchmark: events appended per second to the event store on PostgreSQL, ours against the
`eventsourcing` library's PostgreSQL recorders, in the same run on the same server.

Configurations: 1 writer and 8 concurrent writers (separate processes, one connection each),
1 event per transaction and 10 events per transaction, ~300-byte events. Every transaction
starts a new stream (aggregate) with versions 1..k. Each (configuration, store) is run for
`--seconds` seconds; stores alternate so machine noise hits both alike.

  ours      `EventStore("bench").append(...)` called on its own (it opens its own transaction):
            a `DomainEvent` dataclass serialised to JSON, then ONE statement that checks the
            expected version and inserts the `es_event` rows and their `es_outbox` rows. No relay
            runs here (in full mode the commit only notifies PostgreSQL's channel).
  ours-uow  the same append as the command bus makes it: inside `transaction.atomic()` with
            `savepoint=False` (BEGIN, the statement, COMMIT).
  lib-app   eventsourcing `PostgresApplicationRecorder` (what an eventsourcing Application uses
            with PERSISTENCE_MODULE=eventsourcing.postgres): events plus a notification id that
            gives downstream readers total order; it takes a table lock per transaction.
  lib-agg   eventsourcing `PostgresAggregateRecorder`: events only, no notification log (no
            equivalent of our outbox); shown for context.
  Both library recorders are fed through the library's own `Mapper` + `JSONTranscoder` from a
  library `DomainEvent`, the same layer as ours (domain object -> stored row).

    eval "$(scripts/services env)"; .venv/bin/python bench/append.py --seconds 3 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).absolute().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from common import bench_database_url, ensure_database, setup_django  # noqa: E402

NOTE = "x" * 180  # makes the JSON body of one event ~300 bytes


def _our_event_class():
    from decimal import Decimal

    from infrastructure.events.base import DomainEvent

    @dataclass(frozen=True)
    class BenchItemAdded(DomainEvent, context="bench", version=1):
        tally_id: uuid.UUID
        item: str
        quantity: int
        amount: Decimal
        note: str

    return BenchItemAdded


def worker_ours(per_txn: int, start_at: float, seconds: float, out, in_transaction: bool = False) -> None:
    from contextlib import nullcontext
    from decimal import Decimal

    from django.db import connection, transaction

    import infrastructure.eventstore.store as store_module

    Event = _our_event_class()
    store = store_module.EventStore("bench")
    connection.ensure_connection()
    n = 0
    while time.time() < start_at:
        time.sleep(0.001)
    end = start_at + seconds
    began = time.perf_counter()
    while time.time() < end:
        stream = uuid.uuid4()
        events = [Event(tally_id=stream, item=f"Item {i} coffee beans 1kg", quantity=1 + i,
                        amount=Decimal("12.50"), note=NOTE) for i in range(per_txn)]
        with transaction.atomic() if in_transaction else nullcontext():
            store.append("Tally", str(stream), 0, events, metadata={"correlation_id": str(stream), "user": "bench"},
                         savepoint=not in_transaction)
        n += per_txn
    out.put((n, time.perf_counter() - began))


def _lib_recorder(kind: str, url: str):
    from urllib.parse import urlsplit

    from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder, PostgresDatastore

    parts = urlsplit(url)
    datastore = PostgresDatastore(dbname=parts.path.lstrip("/"), host=parts.hostname, port=parts.port,
                                  user=parts.username, password=parts.password, pool_size=1)
    cls = PostgresApplicationRecorder if kind == "lib-app" else PostgresAggregateRecorder
    return cls(datastore, events_table_name=f"bench_{kind.replace('-', '_')}_events")


def worker_lib(kind: str, url: str, per_txn: int, start_at: float, seconds: float, out) -> None:
    from decimal import Decimal

    from eventsourcing.domain import DomainEvent
    from eventsourcing.persistence import JSONTranscoder, Mapper, UUIDAsHex, DecimalAsStr, DatetimeAsISO

    class ItemAdded(DomainEvent):
        item: str
        quantity: int
        amount: Decimal
        note: str

    transcoder = JSONTranscoder()
    for t in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(t)
    mapper = Mapper(transcoder=transcoder)
    recorder = _lib_recorder(kind, url)
    n = 0
    while time.time() < start_at:
        time.sleep(0.001)
    end = start_at + seconds
    began = time.perf_counter()
    from datetime import datetime, timezone

    while time.time() < end:
        stream = uuid.uuid4()
        now = datetime.now(timezone.utc)
        events = [ItemAdded(originator_id=stream, originator_version=i + 1, timestamp=now,
                            item=f"Item {i} coffee beans 1kg", quantity=1 + i, amount=Decimal("12.50"), note=NOTE)
                  for i in range(per_txn)]
        recorder.insert_events([mapper.to_stored_event(e) for e in events])
        n += per_txn
    out.put((n, time.perf_counter() - began))


def run_config(store: str, writers: int, per_txn: int, seconds: float, url: str) -> dict:
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start_at = time.time() + 0.5 + 0.05 * writers
    procs = []
    for _ in range(writers):
        if store in ("ours", "ours-uow"):
            p = ctx.Process(target=worker_ours, args=(per_txn, start_at, seconds, out, store == "ours-uow"))
        else:
            p = ctx.Process(target=worker_lib, args=(store, url, per_txn, start_at, seconds, out))
        p.start()
        procs.append(p)
    results = [out.get(timeout=seconds + 60) for _ in procs]
    for p in procs:
        p.join()
    events = sum(n for n, _ in results)
    wall = max(s for _, s in results)
    return {"events": events, "seconds": wall, "eps": events / wall}


def reset_tables(url: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # The scratch database only: es_event refuses DELETE (append-only trigger), TRUNCATE empties it.
        cursor.execute("TRUNCATE es_outbox, es_event")
        for kind in ("lib-app", "lib-agg"):
            table = f"bench_{kind.replace('-', '_')}_events"
            cursor.execute(f"TRUNCATE {table}")
        cursor.execute("VACUUM ANALYZE es_event")
        cursor.execute("VACUUM ANALYZE es_outbox")
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per store and configuration")
    parser.add_argument("--rounds", type=int, default=2, help="runs per store and configuration (median reported)")
    parser.add_argument("--writers", default="1,8")
    parser.add_argument("--per-txn", default="1,10")
    parser.add_argument("--stores", default="ours,ours-uow,lib-app,lib-agg")
    parser.add_argument("--database", default="pos_bench")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit('DATABASE_URL is not set: eval "$(scripts/services env)" first')
    bench_url = bench_database_url(url, args.database)
    ensure_database(url, args.database)
    setup_django(bench_url)
    import django
    import eventsourcing  # noqa: F401
    from django.core.management import call_command
    from django.db import connection
    from importlib.metadata import version

    call_command("migrate", verbosity=0)
    for kind in ("lib-app", "lib-agg"):
        _lib_recorder(kind, bench_url).create_table()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        sync_commit = cursor.fetchone()[0]
    stores = [s for s in args.stores.split(",") if s]
    print(f"append benchmark: {args.seconds:g}s per store and configuration, database {args.database}")
    print(f"  Python {platform.python_version()}, Django {django.get_version()}, psycopg {version('psycopg')}, "
          f"eventsourcing {version('eventsourcing')}, PostgreSQL {pg_version} (synchronous_commit={sync_commit}), "
          f"{os.cpu_count()} CPUs", flush=True)
    rows = []
    for writers in [int(w) for w in args.writers.split(",")]:
        for per_txn in [int(k) for k in args.per_txn.split(",")]:
            reset_tables(bench_url)
            runs = {store: [] for store in stores}
            for round_ in range(args.rounds):
                # alternate the order from round to round, so drifting machine load hits all stores alike
                for store in (stores if round_ % 2 == 0 else stores[::-1]):
                    r = run_config(store, writers, per_txn, args.seconds, bench_url)
                    runs[store].append(r["eps"])
                    print(f"  writers={writers} events/txn={per_txn:>2} round {round_ + 1} {store:8s}: "
                          f"{r['events']:>7,} events in {r['seconds']:.2f}s = {r['eps']:>8,.0f} events/s "
                          f"(load {os.getloadavg()[0]:.1f})", flush=True)
            result = {store: {"eps": statistics.median(v), "runs": v} for store, v in runs.items()}
            rows.append((writers, per_txn, result))
    print(f"\nmedian of {args.rounds} runs of {args.seconds:g}s each:")
    print("\n| writers | events/txn | ours events/s | ours-uow events/s | eventsourcing app recorder events/s "
          "| ratio ours/lib-app | ratio ours-uow/lib-app | eventsourcing aggregate recorder events/s "
          "| ratio ours/lib-agg |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for writers, per_txn, r in rows:
        def eps(kind):
            return f"{r[kind]['eps']:,.0f}" if kind in r else "n/a"

        def ratio(a, b):
            return f"**{r[a]['eps'] / r[b]['eps']:.2f}x**" if a in r and b in r else "n/a"

        print(f"| {writers} | {per_txn} | {eps('ours')} | {eps('ours-uow')} | {eps('lib-app')} "
              f"| {ratio('ours', 'lib-app')} | {ratio('ours-uow', 'lib-app')} | {eps('lib-agg')} "
              f"| {ratio('ours', 'lib-agg')} |")
    if args.json:
        Path(args.json).write_text(json.dumps(
            [{"writers": w, "per_txn": k, **{s: v for s, v in r.items()}} for w, k, r in rows]))


if __name__ == "__main__":
    main()
