"""The tills of the soak test: each a thread ringing up sales through the gateway in a loop (cash,
card, split, some discounted, a few refunds) until a deadline, recording what it did and how long
each request took. A till knows its prices (it shows the total before the customer pays), so each
sale is one request with its payments, and the server's total must equal the till's.

A till does what the gateway's 504 asks: the write may or may not have been applied, so it sends
it again with the same Idempotency-Key (a refund with the same refund id); the retries are counted.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

CASH_TENDERED = D("100.00")  # every sale is well under it: change is given
CENT = D("0.01")
ATTEMPTS = 3  # a write answered by a gateway timeout is sent again, up to this many times in all


def line_total(price: D, quantity: int, discount_percent: D) -> D:
    """A tax-inclusive line as the server prices it: gross less the rounded discount."""
    gross = (price * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
    return gross - (gross * discount_percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


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
    retries: Counter = field(default_factory=Counter)  # (what, status) -> writes sent again
    failures: Counter = field(default_factory=Counter)  # (what, status) -> count
    failure_samples: list = field(default_factory=list)
    latencies: list = field(default_factory=list)  # seconds, one per request
    completed: list = field(default_factory=list)  # (order_id, method, lines) of completed sales


class Till:
    """One till's loop. `request(method, path, token=, json=, headers=, timeout=)` is the deployment's;
    `products` maps product id -> unit price (tax included)."""

    def __init__(self, run: TillRun, request, products: dict[str, D]):
        self.run, self.request, self.products = run, request, products
        self.random = random.Random(run.seed)

    def _write(self, what: str, path: str, body: dict, expected: int, *, key: str | None = None,
               idempotent: bool = True):
        """POST; sent again after a gateway timeout only if `idempotent` (a key or a client id)."""
        headers = {"Idempotency-Key": key} if key else None
        for attempt in range(1, (ATTEMPTS if idempotent else 1) + 1):
            start = time.perf_counter()
            try:
                response = self.request("POST", path, token=self.run.token, json=body, headers=headers, timeout=30)
                status = response.status
            except OSError as exc:  # refused or timed out: as unknown as a 504
                response, status = None, type(exc).__name__
            finally:
                self.run.latencies.append(time.perf_counter() - start)
            if status == expected:
                return response.json()
            if status in (504, "TimeoutError") and idempotent and attempt < ATTEMPTS:
                self.run.retries[(what, status)] += 1
                continue
            self.run.failures[(what, status)] += 1
            if len(self.run.failure_samples) < 3:
                self.run.failure_samples.append((what, status, response.text[:300] if response else ""))
            return None

    def sell(self) -> None:
        r, run = self.random, self.run
        lines = [{"product_id": product, "quantity": r.randint(1, 3)}
                 for product in r.sample(sorted(self.products), r.randint(1, 3))]
        if r.random() < 0.25:
            lines[0]["discount_percent"] = r.choice(["5", "10"])  # within a cashier's limit (10 %)
        total = sum((line_total(self.products[line["product_id"]], line["quantity"],
                                D(line.get("discount_percent", "0"))) for line in lines), D("0.00"))
        kind = r.choices(["cash", "card", "split"], weights=[5, 4, 2])[0]
        if kind == "cash":
            payments = [("cash", CASH_TENDERED)]
        elif kind == "card":
            payments = [("card", total)]
        else:
            card = (total / 2).quantize(CENT)
            payments = [("card", card), ("cash", total - card + D("5.00"))]  # change given
        body = {"till_id": run.till_id, "lines": lines,
                "payments": [{"method": method, "amount": str(amount)} for method, amount in payments]}
        run.sent += 1
        order = self._write("sale", "/api/v1/sales/orders/", body, 201, key=f"soak-{uuid.uuid4()}")
        if order is None:
            return
        if (order["status"], D(order["total"])) != ("completed", total):
            run.failures[("sale", "till total differs from the server's")] += 1
            run.failure_samples.append((body, order))
            return
        run.succeeded += 1
        run.completed.append((order["id"], kind, order["lines"]))

    def refund(self) -> None:
        """Give back one unit of a line of an earlier cash or card sale of this till (once a sale)."""
        candidates = [sale for sale in self.run.completed if sale[1] != "split"]
        if not candidates:
            return
        order_id, kind, lines = sale = candidates[self.random.randrange(len(candidates))]
        self.run.completed.remove(sale)
        self.run.refunds_sent += 1
        answer = self._write("refund", f"/api/v1/sales/orders/{order_id}/refunds/",
                             {"refund_id": str(uuid.uuid4()), "lines": [{"line_no": lines[0]["line_no"], "quantity": 1}],
                              "method": "original", "till_id": self.run.till_id, "reason": "soak"}, 201)
        if answer is not None:
            self.run.refunds_ok += 1

    def cash_movement(self, amount: D, reason: str) -> None:
        """Cash in (positive) or out; done before and after the selling phase, so it is never
        caught in the sales queue (it has no idempotency key to retry with)."""
        answer = self._write("cash-movement", f"/api/v1/sales/tills/{self.run.till_id}/cash-movements/",
                             {"amount": str(amount), "reason": reason}, 200, idempotent=False)
        assert answer is not None, self.run.failure_samples
        if amount > 0:
            self.run.cash_in += amount
        else:
            self.run.cash_out -= amount

    def loop(self, start: threading.Barrier, deadline: dict) -> None:
        start.wait(60)
        until = deadline["until"]  # set by run_tills just before the barrier opens
        while time.monotonic() < until:
            if self.random.random() < 0.08:
                self.refund()
            else:
                self.sell()


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
