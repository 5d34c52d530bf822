#!/usr/bin/env python
"""Benchmark: what applying one till sale's events costs each consuming context, in-process.

Rings `--sales` real till sales through the command bus on a scratch PostgreSQL database (no
relay, no Kafka), then hands their events, and the events those cause (the catalog's stock
movements), to each consumer the way its Kafka poll does: `deliver` over batches of `--per-poll`
sales, one transaction per batch, the consumer reading only the source contexts it subscribes
to. Prints, per consumer, the Python CPU (process time) and the wall time per sale. PostgreSQL's
own CPU is not in these figures (bench/till.py counts it for the whole stack).

    eval "$(scripts/services env)"; .venv/bin/python bench/consumers.py --sales 400 --per-poll 1,8
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

REPO_ROOT = Path(__file__).absolute().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from common import bench_database_url, ensure_database, setup_django  # noqa: E402

CONSUMERS = ("sales", "catalog", "reporting", "customers")


def _events_after(position: int, contexts: set[str], until: int | None = None):
    from infrastructure.eventstore.envelope import Envelope
    from infrastructure.eventstore.models import StoredEvent

    rows = StoredEvent.objects.filter(position__gt=position, context__in=contexts)
    if until is not None:
        rows = rows.filter(position__lte=until)
    rows = rows.order_by("position")
    return [Envelope.from_stored(row) for row in rows]


def _last_position() -> int:
    from django.db.models import Max

    from infrastructure.eventstore.models import StoredEvent

    return StoredEvent.objects.aggregate(m=Max("position"))["m"] or 0


def _deliver_all(consumer: str, after: int) -> None:
    """Everything `consumer` subscribes to since `after`, applied at once (set-up, not measured)."""
    from infrastructure.consumers import registry
    from infrastructure.consumers.inbox import deliver

    deliver(consumer, _events_after(after, registry.source_contexts(consumer)))


def _set_up(meta, store: str) -> tuple[uuid.UUID, list[uuid.UUID]]:
    from contexts.catalog import commands as cat
    from contexts.sales import commands as c
    from contexts.stores import commands as s
    from infrastructure.commands.bus import execute

    start = _last_position()
    execute(s.RegisterStore(code=store, name=f"Bench {store}", tax_id=f"TAX-{store}", time_zone="UTC",
                            address={"line1": "1 Bench Street", "city": "Benchmark", "country": "GB"}), meta)
    for consumer in CONSUMERS:  # each context's copy of the store directory
        _deliver_all(consumer, start)
    start = _last_position()
    products = [uuid.uuid4() for _ in range(8)]
    for n, pid in enumerate(products):
        execute(cat.CreateProduct(product_id=pid, sku=f"CB-{store}-{n}", name=f"Bench product {n}",
                                  unit_price=Decimal("2.50") + n, tax_rate=Decimal("20"), cost_price=Decimal("1.00")),
                meta)
        execute(cat.ReceiveStock(product_id=pid, quantity=100000, store_code=store, unit_cost=Decimal("1.00")), meta)
    for consumer in CONSUMERS:
        _deliver_all(consumer, start)
    till = uuid.uuid4()
    execute(c.RegisterTill(till_id=till, name="Bench till", store_code=store), meta)
    execute(c.OpenTillSession(session_id=uuid.uuid4(), till_id=till, cashier="bench", opening_float=Decimal("100.00")),
            meta)
    return till, products


def _ring(meta, till, products, count: int) -> None:
    from contexts.sales import commands as c
    from infrastructure.commands.bus import execute

    rng = random.Random(7)
    for _ in range(count):
        lines = tuple(c.LineRequest(product_id=p, quantity=rng.randint(1, 3)) for p in rng.sample(products, 2))
        execute(c.PlaceTillSale(order_id=uuid.uuid4(), till_id=till, cashier="bench", lines=lines,
                                payments=(c.PaymentRequest(method="cash", amount=Decimal("200.00")),)), meta)


def _measure(consumer: str, after: int, sales: int, per_poll: int, until: int | None = None) -> dict:
    """Deliver `consumer`'s events in (after, until] in polls of `per_poll` sales' worth of events."""
    from infrastructure.consumers import registry
    from infrastructure.consumers.inbox import deliver

    events = _events_after(after, registry.source_contexts(consumer), until)
    per_event_poll = max(1, round(len(events) / sales * per_poll))
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(0, len(events), per_event_poll):
        result = deliver(consumer, events[i:i + per_event_poll])
        assert not result.dead, result.dead[:1]
    return {"consumer": consumer, "per_poll": per_poll, "events": len(events),
            "cpu_ms_per_sale": (time.process_time() - cpu) * 1000 / sales,
            "wall_ms_per_sale": (time.perf_counter() - wall) * 1000 / sales}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sales", type=int, default=400)
    parser.add_argument("--per-poll", default="1,8", help="sales per poll (one transaction), one run per value")
    parser.add_argument("--database", default="pos_bench_consumers")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or sys.exit("DATABASE_URL must be set: eval \"$(scripts/services env)\"")
    ensure_database(url, args.database)
    os.environ["POS_RELAY_LISTENER"] = "true"  # no Celery kick per commit: the outbox just fills
    os.environ.pop("MONGODB_URL", None)  # the audit archive is not measured here
    setup_django(bench_database_url(url, args.database))
    from django.core.management import call_command

    from infrastructure.commands.metadata import Metadata

    call_command("migrate", verbosity=0)
    meta = Metadata.new(user="bench")
    print(f"{'consumer':<10} {'sales/poll':>10} {'events':>7} {'CPU ms/sale':>12} {'wall ms/sale':>13}")
    totals = {}
    for per_poll in (int(p) for p in args.per_poll.split(",") if p):
        till, products = _set_up(meta, f"C{uuid.uuid4().hex[:5].upper()}")
        sales_start = _last_position()
        _ring(meta, till, products, args.sales)
        rung = _last_position()
        # catalog first takes the stock (appending movements), then projects its own movements
        # when they come back; reporting comes after, so it sees the sales and the movements
        runs = [("sales", sales_start, None), ("catalog", sales_start, rung), ("catalog", rung, None),
                ("reporting", sales_start, None), ("customers", sales_start, None)]
        for consumer, after, until in runs:
            r = _measure(consumer, after, args.sales, per_poll, until)
            totals[per_poll] = totals.get(per_poll, 0) + r["cpu_ms_per_sale"]
            print(f"{consumer:<10} {per_poll:>10} {r['events']:>7} {r['cpu_ms_per_sale']:>12.2f} "
                  f"{r['wall_ms_per_sale']:>13.2f}", flush=True)
        print(f"{'all':<10} {per_poll:>10} {'':>7} {totals[per_poll]:>12.2f}")


if __name__ == "__main__":
    main()
