#!/usr/bin/env python
"""Profile the till-sale path in-process (pyinstrument): N sales through Django's test client,
the same URL, middleware, JWT authentication, view, handler and SQL as the API, without gunicorn.

Uses the app database of DATABASE_URL (run `bench/till.py` first, or `make run-full` once: it
needs the demo users and a sales price list). Registers one till, opens it, warms up, then
profiles N sales and prints pyinstrument's text report and the SQL statements per sale.

    eval "$(scripts/services env)"; POS_MODE=full .venv/bin/python bench/profile_sale.py --sales 200
"""

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).absolute().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from common import setup_django  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=200)
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    parser.add_argument("--no-profile", action="store_true", help="time the sales without the profiler's overhead")
    args = parser.parse_args()
    os.environ.setdefault("POS_THROTTLE_USER", "10000000/min")
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    client = Client(SERVER_NAME="127.0.0.1", HTTP_HOST="127.0.0.1")

    def token(user, password, till_id=None):
        body = {"username": user, "password": password, **({"till_id": till_id} if till_id else {})}
        r = client.post("/api/v1/auth/token/", body, content_type="application/json")
        assert r.status_code == 200, r.content
        return r.json()["access"]

    manager = token("manager", "manager-demo-pass")
    # In the demo's store S1 (a till belongs to a store sales knows; the demo data registers S1).
    r = client.post("/api/v1/sales/tills/", {"name": "Profile till", "store_code": "S1"},
                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {manager}")
    assert r.status_code == 201, r.content
    till = r.json()["id"]
    cashier = token("cashier", "cashier-demo-pass", till)  # a till-bound token: cashiers sell at one till
    r = client.post(f"/api/v1/sales/tills/{till}/open/", {"opening_float": "100.00"},
                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {cashier}")
    assert r.status_code == 201, r.content
    with connection.cursor() as cursor:
        cursor.execute("SELECT product_id FROM sales_price_list WHERE active ORDER BY sku LIMIT 2")
        prods = [str(row[0]) for row in cursor.fetchall()]

    def sale():
        body = {"till_id": till, "lines": [{"product_id": prods[0], "quantity": 1}, {"product_id": prods[-1], "quantity": 2}],
                "payments": [{"method": "cash", "amount": "100.00"}]}
        r = client.post("/api/v1/sales/orders/", json.dumps(body), content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {cashier}", HTTP_IDEMPOTENCY_KEY=f"prof-{uuid.uuid4()}")
        assert r.status_code == 201, r.content

    for _ in range(10):
        sale()
    with CaptureQueriesContext(connection) as queries:
        sale()
    print(f"SQL statements in one sale: {len(queries.captured_queries)}")
    for q in queries.captured_queries:
        print(f"  {q['time']}s  {q['sql'][:160]}")
    profiler = Profiler(interval=0.0005)
    started, cpu_started = time.perf_counter(), time.process_time()
    if not args.no_profile:
        profiler.start()
    chunk_started = time.perf_counter()
    for i in range(1, args.sales + 1):
        sale()
        if i % 50 == 0:
            now = time.perf_counter()
            print(f"  sales {i - 49}-{i} on this session: {(now - chunk_started) / 50 * 1000:.1f} ms per sale", flush=True)
            chunk_started = now
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"{args.sales} sales in {wall:.2f}s = {args.sales / wall:.1f} sales/s in one process "
          f"({wall / args.sales * 1000:.1f} ms per sale, {cpu / args.sales * 1000:.1f} ms of this process's CPU)")
    if args.no_profile:
        return
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    if args.html:
        Path(args.html).write_text(profiler.output_html())


if __name__ == "__main__":
    main()
