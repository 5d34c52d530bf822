#!/usr/bin/env python
"""Benchmark: the audit archive in FerretDB, rebuilt from N events, and the audit questions on it.

Fills a scratch PostgreSQL database (`pos_bench_audit` on the server of DATABASE_URL; created and
migrated if missing) with N inbox rows of consumer `audit`: a week of till orders (placed, paid,
completed, every fourth refunded) and catalog events (stock sold, price changes, products created)
spread over 50 tills, 10 stores and 40 cashiers, with their metadata (one SQL statement with
generate_series). Then it rebuilds the archive (`rebuild_projections --context audit`: replay the
inbox into the `events` collection of database `pos_bench_audit` in FerretDB, dropped first) and
prints events/s; then asks each audit question of the API (count + first page of 50) and prints
its latency: the first time (no count kept yet), and the median and worst of 5.

    eval "$(scripts/services env)"
    .venv/bin/python bench/audit.py --sizes 100000

The app database and the app's archive are never touched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

REPO_ROOT = Path(__file__).absolute().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from common import bench_database_url, ensure_database, setup_django  # noqa: E402

DATABASE = "pos_bench_audit"
PRODUCTS = 500

# Five events per order (i / 5): placed, paid, completed, a stock movement, and either a refund
# (every fourth order) or a price change. Events are 6 seconds apart: 100,000 span about a week.
FILL_SQL = """
INSERT INTO es_inbox (consumer, event_id, source_context, stream_type, stream_id, version, event_type,
                      schema_version, data, metadata, recorded_at, received_at, status, error)
SELECT 'audit', md5('audit-bench-' || i)::uuid,
       CASE WHEN kind IN ('StockSold', 'ProductPriceChanged') THEN 'catalog' ELSE 'sales' END,
       CASE WHEN kind IN ('StockSold', 'ProductPriceChanged') THEN 'Product' ELSE 'Order' END,
       CASE WHEN kind IN ('StockSold', 'ProductPriceChanged') THEN product ELSE 'order-' || (i / 5) END,
       CASE WHEN kind IN ('StockSold', 'ProductPriceChanged') THEN 1000 + i ELSE i %% 5 + 1 END,
       kind, 1,
       CASE kind
         WHEN 'OrderPlaced' THEN jsonb_build_object('order_id', 'order-' || (i / 5), 'store_code', store,
              'till_id', till, 'cashier', cashier, 'total', total, 'lines',
              jsonb_build_array(jsonb_build_object('product_id', product, 'quantity', 1 + i %% 3, 'amount', total)))
         WHEN 'PaymentRecorded' THEN jsonb_build_object('order_id', 'order-' || (i / 5), 'method', 'cash',
              'amount', total, 'tendered', total, 'change', '0.00')
         WHEN 'OrderCompleted' THEN jsonb_build_object('order_id', 'order-' || (i / 5), 'store_code', store,
              'till_id', till, 'cashier', cashier, 'total', total, 'paid', total)
         WHEN 'StockSold' THEN jsonb_build_object('product_id', product, 'quantity', 1 + i %% 3,
              'order_id', 'order-' || (i / 5), 'store_code', store)
         WHEN 'OrderRefunded' THEN jsonb_build_object('order_id', 'order-' || (i / 5), 'till_id', till,
              'cashier', cashier, 'method', 'cash', 'total', total, 'tax', '0.00', 'reason', 'bench')
         ELSE jsonb_build_object('product_id', product, 'old_price', '1.00', 'new_price', total)
       END,
       CASE WHEN kind = 'ProductPriceChanged'
         THEN jsonb_build_object('user', 'manager-' || (i %% 5), 'correlation_id', md5('c' || i))
         ELSE jsonb_build_object('user', cashier, 'till', till, 'correlation_id', md5('c' || (i / 5)),
                                 'request_id', md5('r' || (i / 5)))
       END,
       now() - ((%s - i) * interval '6 seconds'), now(), 'applied', ''
  FROM (SELECT i,
               CASE i %% 5 WHEN 0 THEN 'OrderPlaced' WHEN 1 THEN 'PaymentRecorded' WHEN 2 THEN 'OrderCompleted'
                           WHEN 3 THEN 'StockSold'
                           ELSE CASE WHEN (i / 5) %% 4 = 0 THEN 'OrderRefunded' ELSE 'ProductPriceChanged' END
               END AS kind,
               'S' || ((i / 5) %% 10) AS store,
               md5('till-' || ((i / 5) %% 50))::uuid::text AS till,
               'cashier-' || ((i / 5) %% 40) AS cashier,
               'product-' || ((i / 5) %% 500) AS product,
               to_char(((i / 5) %% 12000) / 100.0, 'FM99990.00') AS total
          FROM generate_series(%s, %s) AS i) AS g
"""

PRODUCTS_SQL = """
INSERT INTO es_inbox (consumer, event_id, source_context, stream_type, stream_id, version, event_type,
                      schema_version, data, metadata, recorded_at, received_at, status, error)
SELECT 'audit', md5('audit-bench-product-' || k)::uuid, 'catalog', 'Product', 'product-' || k, 1, 'ProductCreated', 1,
       jsonb_build_object('product_id', 'product-' || k, 'sku', 'SKU-' || k, 'name', 'Product ' || k,
                          'unit_price', '1.00', 'tax_rate', '20.00'),
       jsonb_build_object('user', 'manager-0', 'correlation_id', md5('p' || k)),
       now() - interval '8 days', now(), 'applied', ''
  FROM generate_series(0, %s) AS k
"""


def fill(n: int) -> None:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM es_inbox WHERE consumer = 'audit'")
        cursor.execute(PRODUCTS_SQL, [PRODUCTS - 1])
        for low in range(1, n - PRODUCTS + 1, 100_000):
            cursor.execute(FILL_SQL, [n, low, min(low + 99_999, n - PRODUCTS)])
        cursor.execute("SELECT count(*), avg(octet_length(data::text) + octet_length(metadata::text))::int "
                       "FROM es_inbox WHERE consumer = 'audit'")
        count, avg_bytes = cursor.fetchone()
    assert count == n, (count, n)
    print(f"  filled {n:,} audit inbox events (data + metadata {avg_bytes} bytes on average) "
          f"in {time.perf_counter() - started:.1f}s", flush=True)


def questions(now: dt.datetime) -> list[tuple[str, dict]]:
    from contexts.audit.search import AuditQuery

    till = str(uuid.UUID(hashlib.md5(b"till-7").hexdigest()))
    hour = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=30)
    week = now - dt.timedelta(days=7)
    return [
        ("who changed the price of SKU-7", AuditQuery(sku="SKU-7", event_types=("ProductPriceChanged",))),
        ("everything one till did in one hour", AuditQuery(till=till, since=hour, until=hour + dt.timedelta(hours=1))),
        ("every refund above 50.00 this week", AuditQuery(event_types=("OrderRefunded",), since=week,
                                                          amount_above=Decimal("50.00"))),
        ("one cashier, all time", AuditQuery(actor="cashier-3")),
        ("one store, one day", AuditQuery(store="S4", since=now - dt.timedelta(days=2),
                                          until=now - dt.timedelta(days=1))),
        ("one order's stream", AuditQuery(stream="order-4242")),
        ("one correlation id", AuditQuery(correlation_id=hashlib.md5(b"c4242").hexdigest())),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated event counts")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each question")
    parser.add_argument("--existing", action="store_true",
                        help="no fill or rebuild: ask the questions of the archive a previous run left (of --sizes N)")
    args = parser.parse_args()
    url, mongo = os.environ.get("DATABASE_URL"), os.environ.get("MONGODB_URL")
    if not url or not mongo:
        raise SystemExit('DATABASE_URL and MONGODB_URL must be set: eval "$(scripts/services env)" first')
    ensure_database(url, DATABASE)
    os.environ["MONGODB_DATABASE"] = DATABASE
    setup_django(bench_database_url(url, DATABASE))
    import django
    import pymongo
    from django.core.management import call_command
    from django.utils import timezone

    from contexts.audit import archive
    from contexts.audit.search import search
    from infrastructure.projections.rebuild import rebuild, replayable_projections

    call_command("migrate", verbosity=0)
    info = archive.client().server_info()
    print(f"audit benchmark: archive database {DATABASE} at {mongo} (reports MongoDB {info.get('version')}; "
          f"FerretDB {info.get('ferretdbVersion', '1.24')})")
    print(f"  Python {platform.python_version()}, Django {django.get_version()}, pymongo {pymongo.version}, "
          f"{platform.machine()} x {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    [projection] = replayable_projections("audit")
    for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
        if not args.existing:
            archive.drop_database()  # a fresh archive, with the indexes the code makes now
            fill(n)
            result = rebuild(projection)
            assert result.events == n, result  # (counting the archive itself would decode every document)
            print(f"  N={n:,}: archive rebuilt in {result.seconds:.1f}s = {result.events_per_second:,.0f} events/s "
                  f"(load average {os.getloadavg()[0]:.1f})", flush=True)
        archive.counts().delete_many({})  # the first run of each question counts every part
        print(f"\n| question (N={n:,}) | matches | first | median | worst |\n|---|---:|---:|---:|---:|")
        for name, query in questions(timezone.now()):
            times, count = [], 0
            for _ in range(args.repeat):
                started = time.perf_counter()
                count = search(query, page=1, page_size=50).count
                times.append(time.perf_counter() - started)
            print(f"| {name} | {count:,} | {times[0] * 1000:,.0f} ms | {statistics.median(times) * 1000:,.0f} ms "
                  f"| {max(times) * 1000:,.0f} ms |", flush=True)


if __name__ == "__main__":
    main()
