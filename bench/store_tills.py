#!/usr/bin/env python
"""Benchmark: many tills of one store selling at once, against as many tills each in a store of
its own (issue: all tills of a store used to wait on the store's order-number row).

The till sale's command path (`PlaceTillSale` through the command bus: price, number, events,
outbox, one transaction) runs in-process on PostgreSQL, one thread and one connection per till,
so what is measured is the database work a sale holds locks for, not HTTP; the full-stack till
benchmark is bench/till.py. Each till rings 1-4 line sales paid in cash, one after the other
(`--rate` sales/s per till, paced from a random point of the first interval; 0 = flat out). Output: sales/s, p50/p99 per sale for both
layouts, the ratio of their throughputs, and a check that every till's receipt numbers are
1..n with no gap.

    eval "$(scripts/services env)"; .venv/bin/python bench/store_tills.py --tills 30 --seconds 20
    .venv/bin/python bench/store_tills.py --tills 30 --seconds 20 --rate 0.5   # 15 sales/s offered
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

REPO_ROOT = Path(__file__).absolute().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from common import bench_database_url, ensure_database, setup_django  # noqa: E402


def _products(count: int) -> list[uuid.UUID]:
    """Sales' own price list, written directly: this benchmark runs no catalog consumer."""
    from django.utils import timezone

    from contexts.sales.models import PriceListEntry

    ids = [uuid.uuid4() for _ in range(count)]
    PriceListEntry.objects.bulk_create([
        PriceListEntry(product_id=pid, sku=f"B-{n}", name=f"Bench product {n}", unit_price=Decimal("2.50") + n,
                       tax_rate=Decimal("20"), price_includes_tax=True, active=True, version=1,
                       updated_at=timezone.now()) for n, pid in enumerate(ids)])
    return ids


def _register_stores(codes: set[str], meta) -> None:
    """Each store through the stores context's command, its events applied to sales' consumer
    here (a till belongs to a store sales knows; this benchmark runs no consumer)."""
    from contexts.stores import commands as s
    from contexts.stores.domain.events import STORES
    from contexts.stores.domain.store import stream_id_of
    from infrastructure.commands.bus import execute
    from infrastructure.consumers.inbox import apply_batch
    from infrastructure.eventstore.store import EventStore

    for code in sorted(codes):
        execute(s.RegisterStore(code=code, name=f"Bench {code}", tax_id=f"TAX-{code}", time_zone="UTC",
                                address={"line1": "1 Bench Street", "city": "Benchmark", "country": "GB"}), meta)
        apply_batch("sales", EventStore(STORES).load(stream_id_of(code)))


def _open_tills(stores: list[str], meta) -> list[uuid.UUID]:
    from contexts.sales import commands as c
    from infrastructure.commands.bus import execute

    _register_stores(set(stores), meta)
    tills = []
    for n, store in enumerate(stores):
        till = uuid.uuid4()
        execute(c.RegisterTill(till_id=till, name=f"Till {n + 1}", store_code=store), meta)
        execute(c.OpenTillSession(session_id=uuid.uuid4(), till_id=till, cashier=f"bench-{n}",
                                  opening_float=Decimal("100.00")), meta)
        tills.append(till)
    return tills


def _ring(till: uuid.UUID, products, seconds: float, rate: float, meta, out: list, errors: list):
    from django.db import connection

    from contexts.sales import commands as c
    from infrastructure.commands.bus import execute

    rng = random.Random(str(till))
    interval = 1 / rate if rate else 0
    start = time.monotonic()
    next_at = start + rng.uniform(0, interval)  # tills are not synchronised: each starts at its own point
    try:
        while time.monotonic() - start < seconds:
            if interval:
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
            lines = tuple(c.LineRequest(product_id=p, quantity=rng.randint(1, 3))
                          for p in rng.sample(products, rng.randint(1, 4)))
            began = time.perf_counter()
            result = execute(c.PlaceTillSale(order_id=uuid.uuid4(), till_id=till, cashier="bench", lines=lines,
                                             payments=(c.PaymentRequest(method="cash", amount=Decimal("500.00")),)),
                             meta)
            out.append((time.perf_counter() - began, result["number"]))
    except BaseException as exc:  # reported by the caller
        errors.append(repr(exc))
    finally:
        connection.close()


def _run(layout: str, tills_count: int, seconds: float, rate: float, products) -> dict:
    from infrastructure.commands.metadata import Metadata

    meta = Metadata.new(user="bench")
    tag = uuid.uuid4().hex[:4].upper()
    stores = [f"O{tag}"] * tills_count if layout == "one-store" else [f"M{tag}{n:03d}"[:8] for n in range(tills_count)]
    tills = _open_tills(stores, meta)
    results: list[list] = [[] for _ in tills]
    errors: list[str] = []
    threads = [threading.Thread(target=_ring, args=(till, products, seconds, rate, meta, results[i], errors))
               for i, till in enumerate(tills)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    latencies = sorted(t for per_till in results for t, _ in per_till)
    gapless = all(sorted(int(n.rsplit("-", 1)[1]) for _, n in per_till) == list(range(1, len(per_till) + 1))
                  for per_till in results)
    count = len(latencies)
    return {"layout": layout, "tills": tills_count, "sales": count, "sales_per_s": round(count / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
            "p99_ms": round(latencies[min(count - 1, int(count * 0.99))] * 1000, 1) if latencies else None,
            "receipts_gapless_per_till": gapless, "errors": errors[:3]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tills", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=0, help="sales/s per till (0: flat out)")
    parser.add_argument("--database", default="pos_bench_store_tills")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or sys.exit("DATABASE_URL must be set: eval \"$(scripts/services env)\"")
    ensure_database(url, args.database)
    os.environ["POS_RELAY_LISTENER"] = "true"  # no Celery kick per commit: the outbox just fills
    setup_django(bench_database_url(url, args.database))
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    products = _products(12)
    runs = [_run(layout, args.tills, args.seconds, args.rate, products) for layout in ("one-store", "own-stores")]
    one, own = runs
    ratio = round(one["sales_per_s"] / own["sales_per_s"], 2) if own["sales_per_s"] else None
    print(f"{'layout':<12} {'tills':>5} {'sales':>6} {'sales/s':>8} {'p50 ms':>8} {'p99 ms':>8} gapless")
    for r in runs:
        print(f"{r['layout']:<12} {r['tills']:>5} {r['sales']:>6} {r['sales_per_s']:>8} {r['p50_ms']:>8} "
              f"{r['p99_ms']:>8} {r['receipts_gapless_per_till']}" + (f"  errors: {r['errors']}" if r["errors"] else ""))
    print(f"one store / own stores throughput: {ratio}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "ratio": ratio}, indent=2))
    if any(r["errors"] or not r["receipts_gapless_per_till"] for r in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
