#!/usr/bin/env python
"""Benchmark: till sales through the API in full mode, against a plain-insert baseline, then the
freshness of the reporting read model at a steady rate.

Starts the full stack with `scripts/run-full` (gunicorn with its 3 workers, one Celery worker per
context hosting its outbox relay, woken by PostgreSQL NOTIFY, and its Kafka consumer; beat) on a
private port. With
POS_EXTRA_APPS=bench.baseline (the baseline endpoint) and the per-user API throttle raised
(POS_THROTTLE_USER) so that the throttles do not cap the load (successful logins are never throttled). Each till logs in with its `till_id` (till-bound tokens). Then, from other processes:

1. wrk (C connections for each C of --connections, one registered till with an open session per connection) posts till
   sales (2 lines, cash) with a fresh Idempotency-Key each, for D seconds; and, alternating,
   posts to the baseline endpoint (one row insert) with the same token, connections and time.
2. Freshness: a paced client (--fresh-senders threads, one till each) sends R sales/s for F seconds; a poller (its own connection,
   every 5 ms) watches `reporting_completed_sale` (written by the reporting consumer from
   Kafka) for the order ids. Freshness is reported two ways: from the moment the API answered
   (after the commit: a slight underestimate) and from the order's `completed_at` (set in the
   handler before the commit: a slight overestimate).
3. Pipeline freshness (--pipeline-rates, bench/freshness_pipeline.py): clones of a real sale's Order
   stream appended straight to the event store at R sales/s (the API cannot reach 100/s here), timed
   from their commit to `reporting_completed_sale` through the same relay, Kafka and consumers.

    eval "$(scripts/services env)"; .venv/bin/python bench/till.py
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).absolute().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # bench.freshness_pipeline and, through it, the Django project

from bench import cpu_accounting  # noqa: E402
HOST = "127.0.0.1"

LUA = r"""
local tills = {%(tills)s}
local products = {%(products)s}
local tokens = {%(tokens)s}
local mode = "%(mode)s"
local counter = 0
local tid = 0
local nthreads = 0
local threads = {}

function setup(thread)
  thread:set("tid", nthreads)
  table.insert(threads, thread)
  nthreads = nthreads + 1
end

function init(args)
  math.randomseed(os.time() + tid)
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local till = tills[(tid %% #tills) + 1]
  local token = tokens[(tid %% #tokens) + 1]
  local key = string.format("bench-%%d-%%d-%%d-%%d", os.time(), tid, counter, math.random(1, 1000000000))
  local body
  local path
  if mode == "sale" then
    path = "/api/v1/sales/orders/"
    local p1 = products[(counter %% #products) + 1]
    local p2 = products[((counter + 1) %% #products) + 1]
    body = string.format('{"till_id":"%%s","lines":[{"product_id":"%%s","quantity":1},{"product_id":"%%s","quantity":2}],"payments":[{"method":"cash","amount":"100.00"}]}', till, p1, p2)
  else
    path = "/bench/baseline/rows/"
    body = string.format('{"till_id":"%%s","note":"sale %%s","total":"12.50"}', till, key)
  end
  -- wrk.format uses its headers argument instead of wrk.headers, so all of them go here
  return wrk.format("POST", path, {["Authorization"] = "Bearer " .. token,
                                   ["Content-Type"] = "application/json", ["Idempotency-Key"] = key}, body)
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local out = {requests = summary.requests, duration_us = summary.duration,
               non2xx = summary.errors.status, connect_errors = summary.errors.connect,
               read_errors = summary.errors.read, timeouts = summary.errors.timeout,
               p50 = latency:percentile(50), p95 = latency:percentile(95), p99 = latency:percentile(99),
               max = latency.max, mean = latency.mean}
  local parts = {}
  for k, v in pairs(out) do table.insert(parts, string.format('"%%s": %%s', k, tostring(v))) end
  io.write("RESULT {" .. table.concat(parts, ", ") .. "}\n")
end
"""


class Api:
    def __init__(self, port: int):
        self.port = port

    def call(self, method: str, path: str, body=None, token=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        h = {"Content-Type": "application/json", **(headers or {})}
        if token:
            h["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode(errors="replace")
        return resp.status, parsed

    def login(self, username, password, till_id=None):
        body = {"username": username, "password": password, **({"till_id": str(till_id)} if till_id else {})}
        status, data = self.call("POST", "/api/v1/auth/token/", body)
        if status != 200:
            raise SystemExit(f"login {username}: {status} {data}")
        return data["access"]


METRICS_TOKEN = "bench-metrics-token"


class Scraper(threading.Thread):
    """Prometheus in miniature: GET /metrics every `every` seconds (with the token) while a run lasts."""

    def __init__(self, port: int, every: float):
        super().__init__(daemon=True)
        self.api, self.every, self.done, self.scrapes, self.failures = Api(port), every, threading.Event(), 0, 0

    def run(self):
        while not self.done.wait(self.every):
            status, _ = self.api.call("GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
                                      timeout=10)
            self.scrapes, self.failures = self.scrapes + 1, self.failures + (status != 200)


def start_stack(port: int, data_dir: str, log_path: str) -> subprocess.Popen:
    env = {**os.environ, "POS_PORT": str(port), "POS_DATA_DIR": data_dir, "POS_EXTRA_APPS": "bench.baseline",
           "POS_THROTTLE_USER": "10000000/min", "DJANGO_SECRET_KEY": "bench-only-secret-" + "x" * 40,
           "POS_LOG_LEVEL": "WARNING", "VENV": os.environ.get("VENV", str(REPO_ROOT / ".venv")),
           "POS_METRICS_TOKEN": METRICS_TOKEN}
    log = open(log_path, "w")
    proc = subprocess.Popen([str(REPO_ROOT / "scripts" / "run-full")], cwd=REPO_ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 180
    api = Api(port)
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"run-full exited ({proc.returncode}); see {log_path}")
        # Ready once run-full has printed its banner: after /health/ready, it loads the demo users.
        try:
            if ("POS is running in full mode" in Path(log_path).read_text(errors="replace")
                    and api.call("GET", "/health/ready", timeout=2)[0] == 200):
                return proc
        except OSError:
            pass
        time.sleep(1)
    stop_stack(proc)
    raise SystemExit(f"the stack did not become ready; see {log_path}")


def stop_stack(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # run-full stops all its children on TERM
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def db():
    import psycopg

    return psycopg.connect(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://"), autocommit=True)


def products(api: Api, manager: str, wait: float = 60) -> list[str]:
    with db() as conn:
        deadline = time.time() + wait
        created = False
        while time.time() < deadline:
            rows = conn.execute("SELECT product_id FROM sales_price_list WHERE active ORDER BY sku LIMIT 8").fetchall()
            if len(rows) >= 2:
                return [str(r[0]) for r in rows]
            if not created and time.time() > deadline - wait + 5:
                for i in range(4):
                    api.call("POST", "/api/v1/catalog/products/", {
                        "sku": f"BENCH-{uuid.uuid4().hex[:8]}", "name": f"Bench product {i}",
                        "unit_price": f"{2 + i}.50", "tax_rate": "20"}, token=manager)
                created = True
            time.sleep(0.5)
    raise SystemExit("no products reached the sales price list (catalog -> Kafka -> sales consumer)")


def register_store(api: Api, manager: str, store: str) -> None:
    """Store `store` registered (a till belongs to a registered store), and known to sales: its
    copy of the store directory arrives through Kafka, so a till is refused (422 unknown-store,
    nothing stored) until then; `open_tills` waits for it with its first till."""
    status, data = api.call("POST", "/api/v1/stores/", {
        "code": store, "name": "Bench store", "tax_id": f"TAX-{store}", "time_zone": "UTC",
        "address": {"line1": "1 Bench Street", "city": "Benchmark", "country": "GB"}}, token=manager)
    assert status in (201, 409), (status, data)  # 409: registered already


def open_tills(api: Api, manager: str, cashier_login, count: int, store: str, wait: float = 60) -> tuple[list[str], list[str]]:
    """Registers store `store` and `count` tills in it, and opens a session on each with a
    till-bound cashier token (login with `till_id`, as a till does); returns the tills and their tokens."""
    register_store(api, manager, store)
    tills = []
    deadline = time.time() + wait
    for i in range(count):
        while True:
            status, data = api.call("POST", "/api/v1/sales/tills/", {"name": f"Bench till {i}", "store_code": store},
                                    token=manager)
            if status != 422 or not str(data.get("type", "")).endswith("/unknown-store/") or time.time() > deadline:
                break
            time.sleep(0.2)  # sales has not heard of the store yet (stores -> Kafka -> sales consumer)
        assert status == 201, (status, data)
        tills.append(data["id"])
    tokens = [cashier_login(till) for till in tills]
    for till, token in zip(tills, tokens):
        status, data = api.call("POST", f"/api/v1/sales/tills/{till}/open/", {"opening_float": "100.00"}, token=token)
        assert status == 201, (status, data)
    return tills, tokens


def _no_stack() -> set[int]:
    raise RuntimeError("the stack is not started")


STACK_PIDS = _no_stack  # set by main(): the run-full tree, the services, and this process's children


def idle_cpu(seconds: float) -> dict[str, float]:
    """Percent of one core each group of the stack uses while nothing is sent to it."""
    before = cpu_accounting.snapshot(STACK_PIDS())
    time.sleep(seconds)  # the measuring window itself: nothing to wait for
    after = cpu_accounting.snapshot(STACK_PIDS())
    return {group: s * 100 / seconds for group, s in cpu_accounting.per_group(before, after).items()}


def run_wrk(port: int, mode: str, tills, prods, tokens, connections: int, seconds: int) -> dict:
    script = LUA % {"tills": ",".join(f'"{t}"' for t in tills), "products": ",".join(f'"{p}"' for p in prods),
                    "tokens": ",".join(f'"{k}"' for k in tokens), "mode": mode}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    cmd = ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
           "-s", f.name, f"http://{HOST}:{port}/"]
    ours = STACK_PIDS() | {os.getpid()}
    cpu_before = cpu_accounting.snapshot(ours)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    cpu_after = cpu_accounting.snapshot(ours | STACK_PIDS())  # wrk itself is a child of this process
    os.unlink(f.name)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result: {out.stdout}\n{out.stderr}")
    r = json.loads(line[len("RESULT "):])
    ok = r["requests"] - r["non2xx"]
    r["rps"] = ok / (r["duration_us"] / 1e6)
    r["cpu_ms"] = {group: s * 1000 / max(ok, 1) for group, s in cpu_accounting.per_group(cpu_before, cpu_after).items()}
    return r


def freshness(api: Api, port: int, tills, prods, tokens, rate: float, seconds: float) -> dict:
    """Open-loop: sale i is due at start + i/rate, sent by one of a few sender threads."""
    import psycopg  # noqa: F401

    sent: dict[str, tuple[float, float]] = {}  # order id -> (request sent, answered)
    seen: dict[str, float] = {}
    lock = threading.Lock()
    total = int(rate * seconds)
    start = time.time() + 0.5
    next_index = [0]
    errors = []
    late = [0]

    def sender(till, token):
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= total or time.time() > start + seconds + 5:
                break  # bounded in time: a server that cannot keep up does not stretch the run
            due = start + i / rate
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            elif delay < -0.05:
                late[0] += 1
            body = {"till_id": till, "lines": [{"product_id": prods[i % len(prods)], "quantity": 1}],
                    "payments": [{"method": "cash", "amount": "100.00"}]}
            t0 = time.time()
            conn.request("POST", "/api/v1/sales/orders/", body=json.dumps(body), headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {token}",
                "Idempotency-Key": f"fresh-{uuid.uuid4()}"})
            resp = conn.getresponse()
            data = resp.read()
            t1 = time.time()
            if resp.status != 201:
                errors.append((resp.status, data[:200]))
                continue
            with lock:
                sent[json.loads(data)["id"]] = (t0, t1)

    stop = threading.Event()

    def poller():
        with db() as conn:
            watermark = conn.execute("SELECT coalesce(max(completed_at), now() - interval '1 hour') "
                                     "FROM reporting_completed_sale").fetchone()[0]
            while not stop.is_set():
                rows = conn.execute("SELECT order_id, completed_at FROM reporting_completed_sale "
                                    "WHERE completed_at > %s", [watermark]).fetchall()
                now = time.time()
                for order_id, completed_at in rows:
                    seen.setdefault(str(order_id), (now, completed_at.timestamp()))
                time.sleep(0.005)

    poll = threading.Thread(target=poller, daemon=True)
    poll.start()
    senders = [threading.Thread(target=sender, args=(till, token)) for till, token in zip(tills, tokens)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    sending_wall = time.time() - start
    deadline = time.time() + 30
    while time.time() < deadline and not all(o in seen for o in sent):
        time.sleep(0.05)
    stop.set()
    poll.join()
    from_answer = sorted((seen[o][0] - a) * 1000 for o, (_, a) in sent.items() if o in seen)
    from_completed = sorted((seen[o][0] - seen[o][1]) * 1000 for o in sent if o in seen)

    def pct(values, p):
        return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")

    return {"sent": len(sent), "errors": len(errors), "error_sample": errors[:2], "late": late[0],
            "achieved_rate": len(sent) / sending_wall, "missing": len([o for o in sent if o not in seen]),
            "answer_p50": pct(from_answer, 50), "answer_p99": pct(from_answer, 99), "answer_max": max(from_answer or [0]),
            "completed_p50": pct(from_completed, 50), "completed_p99": pct(from_completed, 99),
            "completed_max": max(from_completed or [0]),
            "latency_p50": statistics.median([(a - s) * 1000 for s, a in sent.values()]) if sent else 0}


def paced_tills(port: int, tills, prods, tokens, every: float, seconds: float) -> dict:
    """Each till rings a sale every `every` seconds for `seconds`, as a cashier would: baskets of
    1-4 lines, cash. Each till starts at a random point of its first interval (the tills of a shop
    are not synchronised; all of them at one instant would measure a burst, not a rate)."""
    import random

    latencies, errors = [], []
    lock = threading.Lock()
    start = time.time() + 0.5

    def till_loop(till, token, rng):
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        due = start + rng.uniform(0, every)
        while due < start + seconds:
            time.sleep(max(0.0, due - time.time()))
            lines = [{"product_id": p, "quantity": rng.randint(1, 3)} for p in rng.sample(prods, rng.randint(1, min(4, len(prods))))]
            t0 = time.time()
            conn.request("POST", "/api/v1/sales/orders/", body=json.dumps({
                "till_id": till, "lines": lines, "payments": [{"method": "cash", "amount": "200.00"}]}), headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {token}",
                "Idempotency-Key": f"paced-{uuid.uuid4()}"})
            resp = conn.getresponse()
            data = resp.read()
            with lock:
                (latencies.append((time.time() - t0) * 1000) if resp.status == 201
                 else errors.append((resp.status, data[:200])))
            due += every

    threads = [threading.Thread(target=till_loop, args=(t, k, random.Random(t))) for t, k in zip(tills, tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    pct = (lambda p: latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan"))
    return {"tills": len(tills), "offered_per_s": len(tills) / every, "sales": len(latencies),
            "achieved_per_s": len(latencies) / (time.time() - start), "errors": len(errors),
            "error_sample": errors[:2], "p50": pct(50), "p99": pct(99), "max": max(latencies or [0])}


def store_tills(api: Api, port: int, manager: str, cashier_login, prods, count: int, seconds: int) -> dict:
    """`count` tills of one store against `count` tills in stores of their own, through the API:
    paced (a sale every 2 s per till) and flat out (wrk, one connection per till)."""
    tag = uuid.uuid4().hex[:4].upper()
    one = open_tills(api, manager, cashier_login, count, f"T{tag}")
    own = [open_tills(api, manager, cashier_login, 1, f"U{tag}{n:02d}") for n in range(count)]
    own = ([t for tills, _ in own for t in tills], [k for _, tokens in own for k in tokens])
    out = {}
    for layout, (tills, tokens) in (("one store", one), ("own stores", own)):
        out[f"paced, {layout}"] = paced = paced_tills(port, tills, prods, tokens, 2.0, seconds)
        print(f"  {count} tills, {layout}, a sale every 2 s each ({paced['offered_per_s']:g}/s offered): "
              f"{paced['sales']} sales ({paced['achieved_per_s']:.1f}/s, {paced['errors']} errors "
              f"{paced['error_sample']}); p50 {paced['p50']:.0f} ms, p99 {paced['p99']:.0f} ms, max "
              f"{paced['max']:.0f} ms (load {os.getloadavg()[0]:.1f})", flush=True)
        out[f"flat out, {layout}"] = flat = run_wrk(port, "sale", tills, prods, tokens, count, seconds)
        print(f"  {count} tills, {layout}, flat out: {flat['rps']:.1f} sales/s ({flat['non2xx']} non-2xx); p50 "
              f"{flat['p50'] / 1000:.0f} ms, p99 {flat['p99'] / 1000:.0f} ms (load {os.getloadavg()[0]:.1f})", flush=True)
    ratio = out["flat out, one store"]["rps"] / out["flat out, own stores"]["rps"]
    print(f"  flat out, one store / own stores: {ratio:.2f}x", flush=True)
    out["ratio"] = ratio
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=18469)
    parser.add_argument("--connections", default="8,2", help="wrk connections (= tills), one run set per value")
    parser.add_argument("--fresh-senders", type=int, default=16, help="sender threads (= tills) of the freshness runs")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="baseline/sale pairs, alternating")
    parser.add_argument("--rates", default="100,20", help="sales/s of the freshness runs (each on fresh tills)")
    parser.add_argument("--fresh-seconds", type=float, default=15.0)
    parser.add_argument("--pipeline-rates", default="100",
                        help="sales/s of the pipeline freshness runs (clones appended straight to the event store, "
                             "bench/freshness_pipeline.py); empty to skip")
    parser.add_argument("--pipeline-seconds", type=float, default=15.0)
    parser.add_argument("--pipeline-senders", type=int, default=4, help="appending threads of the pipeline runs")
    parser.add_argument("--store-tills", type=int, default=0,
                        help="also run N tills of one store against N tills in N stores, paced and flat out (0: not)")
    parser.add_argument("--skip-wrk", action="store_true")
    parser.add_argument("--scrape-seconds", type=float, default=0,
                        help="also run the sale with /metrics scraped this often (0: not), to see what scraping costs")
    parser.add_argument("--idle-seconds", type=float, default=20.0,
                        help="measure the idle stack's CPU for this long before the load (0 to skip)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit('DATABASE_URL is not set: eval "$(scripts/services env)" first')
    data_dir = tempfile.mkdtemp(prefix="pos-bench-")
    log_path = os.path.join(data_dir, "run-full.log")
    print(f"till benchmark: full mode via scripts/run-full on {HOST}:{args.port}, relay woken by NOTIFY "
          f"(log {log_path})", flush=True)
    proc = start_stack(args.port, data_dir, log_path)
    services_dir = os.environ.get("POS_SERVICES_DIR", str(REPO_ROOT / ".services"))
    global STACK_PIDS
    STACK_PIDS = lambda: cpu_accounting.stack_pids(  # noqa: E731 - re-read: workers and backends come and go
        {proc.pid, os.getpid(), *cpu_accounting.service_pids(services_dir)})
    levels = [int(c) for c in args.connections.split(",") if c]
    results = {"wrk": [], "freshness": None, "pipeline": []}
    try:
        api = Api(args.port)
        manager = api.login("manager", "manager-demo-pass")
        prods = products(api, manager)

        def cashier_login(till):
            return api.login("cashier", "cashier-demo-pass", till)

        store = f"B{uuid.uuid4().hex[:5].upper()}"
        tills, tokens = open_tills(api, manager, cashier_login, max(levels), store)
        # One warm-up sale per till (and a check that sales go through).
        for till, token in zip(tills, tokens):
            status, data = api.call("POST", "/api/v1/sales/orders/", {
                "till_id": till, "lines": [{"product_id": prods[0], "quantity": 1}],
                "payments": [{"method": "cash", "amount": "100.00"}]}, token=token,
                headers={"Idempotency-Key": f"warm-{uuid.uuid4()}"})
            if status == 403 and "till" in json.dumps(data).lower():
                raise SystemExit(f"sales answer 403 about the till; log in with till_id: {data}")
            assert status == 201, (status, data)
        if args.idle_seconds > 0:
            time.sleep(5)  # let the warm-up's events settle before measuring the quiet stack
            idle = idle_cpu(args.idle_seconds)
            results["idle_cpu_percent"] = idle
            print(f"  idle stack for {args.idle_seconds:g}s: {sum(idle.values()):.2f}% of one core ("
                  + ", ".join(f"{g} {v:.2f}%" for g, v in sorted(idle.items(), key=lambda kv: -kv[1]) if v >= 0.01)
                  + ")", flush=True)
        if not args.skip_wrk:
            modes = ("baseline", "sale", "scraped") if args.scrape_seconds > 0 else ("baseline", "sale")
            for conns, _, mode in ((c, n, m) for c in levels for n in range(args.rounds) for m in modes):
                    scraper = Scraper(args.port, args.scrape_seconds) if mode == "scraped" else None
                    if scraper:
                        scraper.start()
                    r = run_wrk(args.port, "sale" if mode == "scraped" else mode, tills[:conns], prods,
                                tokens[:conns], conns, args.seconds)
                    if scraper:
                        scraper.done.set()
                        scraper.join()
                        r["scrapes"], r["scrape_failures"] = scraper.scrapes, scraper.failures
                        assert scraper.failures == 0, "a /metrics scrape failed"
                    r["mode"], r["connections"], r["load"] = mode, conns, os.getloadavg()[0]
                    results["wrk"].append(r)
                    print(f"  {mode:8s} c={conns}: {r['rps']:7.1f} req/s ({r['requests']} requests, "
                          f"{r['non2xx']} non-2xx, {r['timeouts']} timeouts); latency p50 {r['p50'] / 1000:.1f} ms, "
                          f"p95 {r['p95'] / 1000:.1f} ms, p99 {r['p99'] / 1000:.1f} ms, max {r['max'] / 1000:.1f} ms "
                          f"(load {os.getloadavg()[0]:.1f})", flush=True)
                    print("    CPU ms per request: " + ", ".join(
                        f"{g} {ms:.1f}" for g, ms in sorted(r["cpu_ms"].items(), key=lambda kv: -kv[1]) if ms >= 0.05)
                        + f"; all {sum(r['cpu_ms'].values()):.1f}", flush=True)
        if args.store_tills:
            results["store_tills"] = store_tills(api, args.port, manager, cashier_login, prods, args.store_tills,
                                                 args.seconds * 2)
        results["freshness"] = []
        for n, rate in enumerate(float(r) for r in args.rates.split(",") if r):
            fresh_tills, fresh_token = open_tills(api, manager, cashier_login, args.fresh_senders, f"{store[:6]}{n}")
            f = freshness(api, args.port, fresh_tills, prods, fresh_token, rate, args.fresh_seconds)
            f["rate"], f["load"] = rate, os.getloadavg()[0]
            results["freshness"].append(f)
            print(f"  freshness at {rate:g} sales/s for {args.fresh_seconds:g}s: {f['sent']} sales "
                  f"(achieved {f['achieved_rate']:.1f}/s, {f['errors']} errors, {f['late']} sent >50 ms late, "
                  f"{f['missing']} never seen); from API answer p50 {f['answer_p50']:.0f} ms "
                  f"p99 {f['answer_p99']:.0f} ms max {f['answer_max']:.0f} ms; from completed_at p50 "
                  f"{f['completed_p50']:.0f} ms p99 {f['completed_p99']:.0f} ms; sale latency p50 "
                  f"{f['latency_p50']:.0f} ms (load {os.getloadavg()[0]:.1f})", flush=True)
        for rate in (float(r) for r in args.pipeline_rates.split(",") if r):
            from bench.freshness_pipeline import pipeline_freshness

            f = pipeline_freshness(db, rate, args.pipeline_seconds, args.pipeline_senders)
            f["load"] = os.getloadavg()[0]
            results["pipeline"].append(f)
            print(f"  pipeline freshness (direct appends, not HTTP) at {rate:g} sales/s for {args.pipeline_seconds:g}s: "
                  f"{f['committed']} clones of {'+'.join(f['events_per_clone'])} (achieved {f['achieved_rate']:.1f}/s, "
                  f"{f['errors']} errors {f['error_sample']}, {f['late']} appended >50 ms late, {f['missing']} never "
                  f"seen); commit -> reporting_completed_sale p50 {f['p50']:.0f} ms p99 {f['p99']:.0f} ms max "
                  f"{f['max']:.0f} ms; catalog stock policy applied {f['catalog_applied']}/{f['committed']} "
                  f"({f['catalog_wait_after_reporting_s']:.1f} s after reporting); {f['dead_letters']} new dead "
                  f"letters (load {f['load']:.1f})", flush=True)
    finally:
        stop_stack(proc)
    if results["wrk"]:
        def agg(mode, conns, key):
            vals = [r[key] for r in results["wrk"] if r["mode"] == mode and r["connections"] == conns]
            return statistics.median(vals)

        print(f"\n| endpoint | connections | req/s (median of {args.rounds}) | p50 ms | p95 ms | p99 ms | ratio "
              "| load average |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for conns in levels:
            base, sale = agg("baseline", conns, "rps"), agg("sale", conns, "rps")
            for label, key in (("plain DRF insert (baseline)", "baseline"), ("till sale", "sale")):
                rps = base if key == "baseline" else sale
                print(f"| {label} | {conns} | {rps:.1f} | {agg(key, conns, 'p50') / 1000:.1f} | "
                      f"{agg(key, conns, 'p95') / 1000:.1f} | {agg(key, conns, 'p99') / 1000:.1f} | "
                      f"{'1.00x' if key == 'baseline' else f'**{sale / base:.2f}x**'} | {agg(key, conns, 'load'):.1f} |")
        if args.scrape_seconds > 0:
            for conns in levels:
                sale, scraped = agg("sale", conns, "rps"), agg("scraped", conns, "rps")
                print(f"\n/metrics scraped every {args.scrape_seconds:g}s, c={conns}: {scraped:.1f} req/s against "
                      f"{sale:.1f} unscraped: {100 * (sale - scraped) / sale:+.1f} % throughput cost")
        groups = list(dict.fromkeys(g for _, g in cpu_accounting.GROUPS)) + ["other"]  # relay and consumers share one
        print(f"\n| CPU ms per request (mean of {args.rounds}) | connections | "
              + " | ".join(groups) + " | all |")
        print("|---|---:|" + "---:|" * (len(groups) + 1))
        for conns in levels:
            for label, key in (("plain DRF insert (baseline)", "baseline"), ("till sale", "sale")):
                runs = [r["cpu_ms"] for r in results["wrk"] if r["mode"] == key and r["connections"] == conns]
                means = {g: statistics.mean(run.get(g, 0.0) for run in runs) for g in groups}
                print(f"| {label} | {conns} | " + " | ".join(f"{means[g]:.1f}" for g in groups)
                      + f" | {sum(means.values()):.1f} |")
    if results["freshness"]:
        print("\n| target rate sales/s | achieved sales/s | sales | freshness p50 ms (from answer / from completed_at) "
              "| p99 ms (from answer / from completed_at) | max ms (from answer) | load average |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for f in results["freshness"]:
            print(f"| {f['rate']:g} | {f['achieved_rate']:.1f} | {f['sent']} | {f['answer_p50']:.0f} / {f['completed_p50']:.0f} "
                  f"| {f['answer_p99']:.0f} / {f['completed_p99']:.0f} | {f['answer_max']:.0f} | {f['load']:.1f} |")
    if results["pipeline"]:
        print("\n| pipeline freshness, direct appends (no HTTP, no Session-stream events) | target sales/s "
              "| achieved sales/s | clones | late | missing | p50 ms | p99 ms | max ms | catalog applied "
              "| dead letters | load average |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for f in results["pipeline"]:
            print(f"| commit -> reporting_completed_sale | {f['rate']:g} | {f['achieved_rate']:.1f} | {f['committed']} "
                  f"| {f['late']} | {f['missing']} | {f['p50']:.0f} | {f['p99']:.0f} | {f['max']:.0f} "
                  f"| {f['catalog_applied']}/{f['committed']} | {f['dead_letters']} | {f['load']:.1f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
