"""The tills of the soak test: each a thread ringing up sales through the gateway in a loop (cash,
card, split, some discounted, a few refunds) until a deadline, recording what it did and how long
each request took. The server prices every sale; a till learns the total from the answer, so a
card or split sale is placed first and paid with the second request (as a card terminal does)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal as D

CASH_TENDERED = D("100.00")  # every sale is well under it: change is given


@dataclass
class TillRun:
    till_id: str
    store_code: str
    token: str
    opening_float: D
    seed: int
    cash_in: D = D("0.00")
    cash_out: D = D("0.00")
    sent: int = 0
    succeeded: int = 0
    refunds_sent: int = 0
    refunds_ok: int = 0
    failures: Counter = field(default_factory=Counter)  # (what, status) -> count
    failure_samples: list = field(default_factory=list)
    latencies: list = field(default_factory=list)  # seconds, one per request
    completed: list = field(default_factory=list)  # (order_id, method, lines) of completed sales


class Till:
    """One till's loop. `request(method, path, token=, json=, headers=)` is the deployment's."""

    def __init__(self, run: TillRun, request, products: list[str]):
        self.run, self.request, self.products = run, request, products
        self.random = random.Random(run.seed)

    def _call(self, what: str, method: str, path: str, body: dict, expected: int, key: str | None = None):
        headers = {"Idempotency-Key": key} if key else None
        start = time.perf_counter()
        try:
            response = self.request(method, path, token=self.run.token, json=body, headers=headers, timeout=30)
        except OSError as exc:  # a refused or timed-out connection counts as a failure, not a crash
            self.run.failures[(what, type(exc).__name__)] += 1
            return None
        finally:
            self.run.latencies.append(time.perf_counter() - start)
        if response.status != expected:
            self.run.failures[(what, response.status)] += 1
            if len(self.run.failure_samples) < 3:
                self.run.failure_samples.append((what, response.status, response.text[:300]))
            return None
        return response.json()

    def cash_movement(self, amount: D, reason: str) -> None:
        answer = self._call("cash-movement", "POST", f"/api/v1/sales/tills/{self.run.till_id}/cash-movements/",
                            {"amount": str(amount), "reason": reason}, 200)
        assert answer is not None, self.run.failure_samples
        if amount > 0:
            self.run.cash_in += amount
        else:
            self.run.cash_out -= amount

    def sell(self) -> None:
        r, run = self.random, self.run
        lines = [{"product_id": product, "quantity": r.randint(1, 3)} for product in r.sample(self.products, r.randint(1, 3))]
        if r.random() < 0.25:
            lines[0]["discount_percent"] = r.choice(["5", "10"])  # within a cashier's limit (10 %)
        kind = r.choices(["cash", "card", "split"], weights=[5, 4, 2])[0]
        body = {"till_id": run.till_id, "lines": lines, "payments": []}
        if kind == "cash":
            body["payments"] = [{"method": "cash", "amount": str(CASH_TENDERED)}]
        run.sent += 1
        order = self._call("sale", "POST", "/api/v1/sales/orders/", body, 201, key=f"soak-{uuid.uuid4()}")
        if order is None:
            return
        if kind != "cash":
            total = D(order["total"])
            card = total if kind == "card" else (total / 2).quantize(D("0.01"))
            payments = [{"method": "card", "amount": str(card)}]
            if kind == "split":
                payments.append({"method": "cash", "amount": str(total - card + D("5.00"))})  # change given
            order = self._call("payment", "POST", f"/api/v1/sales/orders/{order['id']}/payments/",
                               {"till_id": run.till_id, "payments": payments}, 200)
            if order is None:
                return
        run.succeeded += 1
        run.completed.append((order["id"], kind, order["lines"]))

    def refund(self) -> None:
        """Give back one unit of a line of an earlier cash or card sale of this till."""
        candidates = [sale for sale in self.run.completed if sale[1] != "split"]
        if not candidates:
            return
        order_id, kind, lines = candidates.pop(self.random.randrange(len(candidates)))
        self.run.completed.remove((order_id, kind, lines))  # refunded once at most: easy to reason about
        self.run.refunds_sent += 1
        answer = self._call("refund", "POST", f"/api/v1/sales/orders/{order_id}/refunds/",
                            {"lines": [{"line_no": lines[0]["line_no"], "quantity": 1}], "method": "original",
                             "till_id": self.run.till_id, "reason": "soak"}, 201)
        if answer is not None:
            self.run.refunds_ok += 1

    def loop(self, start: threading.Barrier, deadline: dict) -> None:
        start.wait(60)
        until = deadline["until"]  # set by run_tills just before the barrier opens
        self.cash_movement(D("20.00"), "change float top-up")
        dropped = False
        while time.monotonic() < until:
            if self.random.random() < 0.08:
                self.refund()
            else:
                self.sell()
            if not dropped and self.run.sent >= 10:
                self.cash_movement(D("-15.00"), "bank drop")
                dropped = True


def run_tills(tills: list[Till], seconds: float) -> float:
    """Run every till's loop at once for `seconds`; returns the wall time of the selling phase."""
    errors, deadline = [], {}
    barrier = threading.Barrier(len(tills) + 1)

    def main(till: Till):
        try:
            till.loop(barrier, deadline)
        except BaseException as exc:  # re-raised below, after every thread has finished
            errors.append(exc)

    threads = [threading.Thread(target=main, args=(till,), name=f"till-{i}", daemon=True)
               for i, till in enumerate(tills)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    deadline["until"] = began + seconds
    barrier.wait(60)
    for thread in threads:
        thread.join(seconds + 60)
    assert not any(thread.is_alive() for thread in threads), "a till thread did not stop"
    if errors:
        raise errors[0]
    return time.monotonic() - began
