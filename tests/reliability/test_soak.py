"""Issue 8, soak: 50 tills sell at once for 60 s through the gateway of the full deployment
(PostgreSQL, outbox, Celery relay to Kafka, the consumers of catalog, customers, sales and
reporting as processes, several gunicorn workers per context). Then, once the pipeline has
drained: every order of the sales read model matches its events, every session closes with a
Z-report that adds up, reporting's figures equal the sum over the events, catalog stock equals
the stock ledger, and every consumer received every event of its source contexts (none lost).

Prints the figures for docs/reliability.md: sales sent / succeeded / failed, sales/s, request
latency p50/p99, events appended and delivered per consumer, duplicates suppressed, lost.
"""

import re
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import pytest

from infrastructure.consumers import registry
from tests.helpers.deployment import PASSWORD, Deployment
from tests.helpers.stores import register_till_over_api
from tests.helpers.waiting import wait_until
from tests.helpers import soak_checks as check
from tests.helpers.soak_tills import Till, TillRun, run_tills

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.serial]
TILLS = 50
STORES = [f"SK{i}" for i in range(5)]  # 10 tills a store: order numbers are counted per store
SELLING_SECONDS = 60
SALES_WORKERS = 3  # the context the tills write to; the others get one worker each
PRODUCTS = [("1.99", "10"), ("2.49", "20"), ("3.10", "20"), ("4.75", "10"), ("0.99", "0"), ("7.35", "20")]
RECEIVED = 5000
DRAIN_S = 90


def ok(response, status=200):
    assert response.status == status, (response.status, response.text[:2000])
    return response.json()


def in_parallel(fn, items, workers: int = SALES_WORKERS) -> list:
    """fn over items on as many threads as sales has workers (set-up and checks: 50 tills one by
    one would take minutes; more at once only queue at the gateway, each login hashes a password)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


@pytest.fixture(scope="module")
def deployment(services_env):
    # Several gunicorn workers for sales only: 4 x 3 workers booting would cost the 2-core
    # machine more start-up time than the other contexts' light load needs.
    d = Deployment(services_env, gunicorn_workers={"sales": SALES_WORKERS})
    with d:
        users = [f"soak-cashier-{i:02d}" for i in range(TILLS)]  # one cashier per till, as in a shop
        d.manage("shell", "-c", "from django.contrib.auth.models import Group, User\n"
                 f"group = Group.objects.get(name='cashier')\nfor name in {users!r}:\n"
                 f"    User.objects.create_user(name, password={PASSWORD!r}).groups.add(group)\n")
        yield d


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def consumer_duplicates(deployment) -> dict[str, int]:
    """Stop each consumer (it logs its final counters on the way out) and read its duplicates."""
    out = {}
    for context in ("catalog", "customers", "sales", "reporting"):
        process = deployment.workers[f"worker-{context}"]
        process.stop()
        summaries = re.findall(r"(\d+) applied, (\d+) duplicates, (\d+) dead", process.log_text())
        assert summaries, process.log_tail()
        out[context] = int(summaries[-1][1])
    return out


def test_fifty_tills_sell_for_a_minute_and_every_figure_adds_up(deployment):
    gw = deployment
    test_started = time.monotonic()

    throttled = Counter()

    def call(method, path, **kwargs):
        """Set-up and checks, as a well-behaved head-office client: a long timeout (they wait behind
        the tills' queue) and, when the gateway's per-client limit answers 429, the request sent again
        after the Retry-After it names (nginx refused it before any upstream saw it, so a POST is
        safe to send again). 50 Z-reports read at once by one manager do exceed 20 r/s, burst 40."""
        def answered():
            response = gw.request(method, path, timeout=30, **kwargs)
            if response.status == 429:
                throttled[method] += 1
                return None
            return response

        # the gateway's 429 says Retry-After: 1, the interval between tries
        return wait_until(answered, timeout=60, interval=1.0, message=f"{method} {path} past the gateway's limit")

    def token(username, till=None):  # as Deployment.token, with that timeout
        return ok(call("POST", "/api/v1/auth/token/", json={"username": username, "password": PASSWORD,
                                                            **({"till_id": till} if till else {})}))["access"]

    manager = token("gw-manager")

    products = {}  # id -> unit price: the tills know their prices
    for i, (price, tax) in enumerate(PRODUCTS):
        product = ok(call("POST", "/api/v1/catalog/products/", token=manager, json={
            "sku": f"SOAK-{i}", "name": f"Soak item {i}", "unit_price": price, "tax_rate": tax}), 201)
        ok(call("POST", f"/api/v1/catalog/products/{product['id']}/receive-stock/", token=manager,
                      json={"quantity": RECEIVED}))
        products[product["id"]] = D(price)

    def open_till(i):
        store = STORES[i % len(STORES)]
        till = register_till_over_api(call, manager, f"Soak till {i}", store, "Soak St")
        cashier = token(f"soak-cashier-{i:02d}", till=till["id"])
        run = TillRun(till["id"], store, cashier, opening_float=D("150.00"), seed=i)
        opened = ok(call("POST", f"/api/v1/sales/tills/{till['id']}/open/", token=cashier,
                               json={"opening_float": str(run.opening_float)}), 201)
        till = Till(run, gw.request, products)
        till.cash_movement(D("20.00"), "change float top-up")
        return opened["id"], till

    tills = dict(in_parallel(open_till, range(TILLS)))  # session id -> its till
    runs = [till.run for till in tills.values()]

    # sales prices from its own price list, filled from catalog's events through Kafka
    wait_until(lambda: check.query(gw, "sales", "SELECT count(*) FROM sales_price_list")[0][0] == len(products),
               timeout=60, interval=0.3, message="sales' price list (catalog -> Kafka -> sales)")

    set_up = time.monotonic() - test_started
    selling = run_tills(list(tills.values()), SELLING_SECONDS)
    gw.assert_running()

    sent = sum(r.sent for r in runs)
    succeeded = sum(r.succeeded for r in runs)
    failures = sum((r.failures for r in runs), Counter())
    retries = sum((r.retries for r in runs), Counter())
    latencies = [x for r in runs for x in r.latencies]
    refunds = (sum(r.refunds_sent for r in runs), sum(r.refunds_ok for r in runs))

    # a bank drop, then close every session counting exactly the cash the till's record says is there
    orders = check.fold_orders(gw)
    figures = check.session_figures(orders)

    def close(item):
        session, till = item
        till.cash_movement(D("-15.00"), "bank drop")
        run = till.run
        expected = check.expected_z(figures[session], run)
        closed = ok(call("POST", f"/api/v1/sales/tills/{run.till_id}/close/", token=run.token,
                               json={"counted": {"cash": str(expected["expected_cash"]),
                                                 "card": str(expected["expected_card"])}}))
        assert check.actual_z(closed["z_report"]) == expected, (run.till_id, closed["z_report"], expected)
        return session, closed["z_report"]

    closing_began = time.monotonic()
    z_reports = dict(in_parallel(close, tills.items()))
    closing = time.monotonic() - closing_began

    # the pipeline drains: every consumer has every event of its source contexts
    sources = {consumer: registry.source_contexts(consumer) for consumer in ("catalog", "customers", "sales",
                                                                             "reporting")}
    def all_delivered():
        counts = check.delivery(gw, sources)
        return counts if all(c["lost"] == 0 for c in counts.values()) else None

    delivered = wait_until(all_delivered, timeout=DRAIN_S, interval=1.0,
                           message=f"every consumer to have every event (last: {check.delivery(gw, sources)})")
    drained = time.monotonic() - closing_began - closing

    mismatches = check.read_model_mismatches(gw, orders)
    assert not mismatches, mismatches[:5]
    assert check.reporting_totals(gw, STORES) == check.event_totals(gw, STORES)

    def reporting_z(item):
        session, z = item
        report = ok(call("GET", f"/api/v1/reports/z-reports/{session}/", token=manager))
        assert report["reconciled"] is True and report["z_report"]["net"] == z["net"], (session, report, z)

    in_parallel(reporting_z, z_reports.items())
    ledger = check.stock_ledger(orders, dict.fromkeys(products, RECEIVED))
    stock = dict(zip(products, in_parallel(
        lambda p: ok(call("GET", f"/api/v1/catalog/products/{p}/", token=manager))["on_hand"], products)))
    assert stock == ledger

    duplicates = consumer_duplicates(gw)
    completed = sum(1 for o in orders.values() if o["status"] == "completed")
    print(f"\nSOAK {TILLS} tills x {SELLING_SECONDS} s, {SALES_WORKERS} gunicorn workers for sales; phases: "
          f"set-up {set_up:.1f} s, selling {selling:.1f} s, closing {closing:.1f} s, "
          f"then drained in {drained:.1f} s")
    print(f"sales sent {sent}, succeeded {succeeded}, failed {sent - succeeded} "
          f"(by status: {dict(failures) or 'none'}), refunds {refunds[1]}/{refunds[0]}; "
          f"writes sent again after a gateway timeout: {dict(retries) or 'none'}")
    print(f"sales/s {succeeded / selling:.1f}; requests {len(latencies)}, latency p50 "
          f"{statistics.median(latencies) * 1000:.0f} ms, p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms")
    for consumer, d in delivered.items():
        print(f"consumer {consumer}: events appended by its sources {d['appended']}, delivered {d['delivered']}, "
              f"duplicates suppressed {duplicates[consumer]}, dead {d['dead']}, lost {d['lost']}")
    print(f"set-up and check requests the gateway throttled and were sent again: {dict(throttled) or 'none'}")
    print(f"orders {len(orders)} ({completed} completed), sessions closed {len(z_reports)}, "
          f"whole test {time.monotonic() - test_started:.1f} s")

    assert not failures, (failures, [s for r in runs for s in r.failure_samples][:5])
    assert sent == succeeded and completed == succeeded
    assert all(d["dead"] == 0 and d["lost"] == 0 for d in delivered.values()), delivered
