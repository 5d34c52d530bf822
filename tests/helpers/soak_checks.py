"""What the soak test checks its deployment against: the sales event table, folded here by the
test's own code (not the product's), and the tables each context built from those events."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal as D

ZERO = D("0.00")


def query(deployment, alias: str, sql: str, params=()) -> list[tuple]:
    return deployment.query(alias, sql, params)


def money(value) -> D:
    return D(str(value)).quantize(D("0.01"))


def fold_orders(deployment) -> dict[str, dict]:
    """Every order stream of the sales event table, replayed into plain figures."""
    orders: dict[str, dict] = {}
    rows = query(deployment, "sales", "SELECT stream_id, event_type, data FROM es_event "
                 "WHERE context = 'sales' AND stream_type = 'Order' ORDER BY stream_id, version")
    for stream_id, event_type, data in rows:
        if event_type == "OrderPlaced":
            orders[stream_id] = {
                "status": "placed", "session_id": data["session_id"], "store_code": data["store_code"],
                "gross": money(data["gross"]), "discount_total": money(data["discount_total"]),
                "tax_total": money(data["tax_total"]), "total": money(data["total"]), "paid": ZERO, "change": ZERO,
                "refunded_total": ZERO, "payments": {}, "refunds": [],
                "lines": {line["line_no"]: {"product_id": line["product_id"], "quantity": line["quantity"],
                                            "total": money(line["total"]), "refunded_quantity": 0}
                          for line in data["lines"]}}
            continue
        order = orders[stream_id]
        if event_type == "PaymentRecorded":
            order["paid"] += money(data["amount"])
            order["change"] += money(data["change"])
            order["payments"][data["payment_id"]] = (data["method"], money(data["amount"]), data["session_id"])
        elif event_type == "OrderCompleted":
            order["status"] = "completed"
        elif event_type == "OrderRefunded":
            order["refunded_total"] += money(data["total"])
            order["refunds"].append((data["method"], money(data["total"]), money(data["tax"]), data["session_id"],
                                     sum(line["quantity"] for line in data["lines"])))
            for line in data["lines"]:
                order["lines"][line["line_no"]]["refunded_quantity"] += line["quantity"]
        else:
            raise AssertionError(f"a till sale got an unexpected {event_type}")
    return orders


def read_model_mismatches(deployment, orders: dict[str, dict]) -> list:
    """Orders whose sales read model (order, lines, payments) differs from their events."""
    views = {str(r[0]): r[1:] for r in query(deployment, "sales", "SELECT order_id, status, gross, discount_total, "
                                             "tax_total, total, paid, change, refunded_total FROM sales_order_view")}
    lines = defaultdict(dict)
    for order_id, line_no, product_id, quantity, refunded, total in query(
            deployment, "sales", "SELECT order_id, line_no, product_id, quantity, refunded_quantity, total "
            "FROM sales_order_line_view"):
        lines[str(order_id)][line_no] = {"product_id": str(product_id), "quantity": quantity,
                                         "total": money(total), "refunded_quantity": refunded}
    payments = defaultdict(dict)
    for payment_id, order_id, method, amount in query(deployment, "sales", "SELECT payment_id, order_id, method, "
                                                      "amount FROM sales_payment_view"):
        payments[str(order_id)][str(payment_id)] = (method, money(amount))
    wrong = []
    if set(views) != set(orders):
        wrong.append(("orders without a view or views without events", set(views) ^ set(orders)))
    for order_id, o in orders.items():
        expected = (o["status"], o["gross"], o["discount_total"], o["tax_total"], o["total"], o["paid"], o["change"],
                    o["refunded_total"])
        actual = views.get(order_id)
        actual = actual and (actual[0], *(money(v) for v in actual[1:]))
        if actual != expected:
            wrong.append((order_id, "order", expected, actual))
        if lines[order_id] != o["lines"]:
            wrong.append((order_id, "lines", o["lines"], lines[order_id]))
        if payments[order_id] != {pid: p[:2] for pid, p in o["payments"].items()}:
            wrong.append((order_id, "payments", o["payments"], payments[order_id]))
    return wrong


def session_figures(orders: dict[str, dict]) -> dict[str, dict]:
    """Per session, from the order events alone: sales, refunds and money by method."""
    sessions = defaultdict(lambda: {"sales_count": 0, "gross": ZERO, "discounts": ZERO, "refunds": ZERO,
                                    "refund_count": 0, "taken": Counter(), "given_back": Counter()})
    for o in orders.values():
        if o["status"] == "completed":
            s = sessions[o["session_id"]]
            s["sales_count"] += 1
            s["gross"] += o["gross"]
            s["discounts"] += o["discount_total"]
        for method, amount, session_id in o["payments"].values():
            sessions[session_id]["taken"][method] += amount
        for method, total, _tax, session_id, _qty in o["refunds"]:
            s = sessions[session_id]
            s["refunds"] += total
            s["refund_count"] += 1
            s["given_back"][method] += total
    return sessions


def expected_z(figures: dict, run) -> dict:
    """The Z-report a session must show: the sum of its sales, refunds and payments by method."""
    cash = (run.opening_float + run.cash_in - run.cash_out + figures["taken"]["cash"] - figures["given_back"]["cash"])
    card = figures["taken"]["card"] - figures["given_back"]["card"]
    return {"sales_count": figures["sales_count"], "gross": figures["gross"], "discounts": figures["discounts"],
            "refunds": figures["refunds"], "refund_count": figures["refund_count"],
            "net": figures["gross"] - figures["discounts"] - figures["refunds"], "opening_float": run.opening_float,
            "cash_in": run.cash_in, "cash_out": run.cash_out, "expected_cash": money(cash),
            "expected_card": money(card), "cash_difference": ZERO}


def actual_z(z: dict) -> dict:
    methods = {m["method"]: m for m in z["methods"]}
    return {"sales_count": z["sales_count"], "gross": money(z["gross"]), "discounts": money(z["discounts"]),
            "refunds": money(z["refunds"]), "refund_count": z["refund_count"], "net": money(z["net"]),
            "opening_float": money(z["opening_float"]), "cash_in": money(z["cash_in"]),
            "cash_out": money(z["cash_out"]), "expected_cash": money(methods["cash"]["expected"]),
            "expected_card": money(methods["card"]["expected"]), "cash_difference": money(z["cash_difference"])}


def event_totals(deployment, stores: list[str]) -> dict:
    """What reporting's daily figures must add up to, from the sales events of these stores."""
    placed = dict(query(deployment, "sales", "SELECT stream_id, data->>'store_code' FROM es_event "
                        "WHERE context = 'sales' AND event_type = 'OrderPlaced'"))
    totals = Counter()
    by_method = Counter()
    completed = set()
    for stream_id, event_type, data in query(deployment, "sales", "SELECT stream_id, event_type, data FROM es_event "
                                             "WHERE context = 'sales' AND event_type IN ('OrderCompleted', "
                                             "'OrderRefunded') ORDER BY position"):
        if placed.get(stream_id) not in stores:
            continue
        if event_type == "OrderCompleted":
            completed.add(stream_id)
            totals["orders"] += 1
            totals["items"] += sum(line["quantity"] for line in data["lines"])
            for name, key in (("gross", "gross"), ("discounts", "discount_total"), ("tax", "tax_total"),
                              ("total", "total")):
                totals[name] += money(data[key])
        else:
            totals["refund_count"] += 1
            totals["refunded_items"] += sum(line["quantity"] for line in data["lines"])
            totals["refunds"] += money(data["total"])
            totals["refund_tax"] += money(data["tax"])
            by_method[(data["method"], "refunds")] += money(data["total"])
    for stream_id, data in query(deployment, "sales", "SELECT stream_id, data FROM es_event WHERE context = 'sales' "
                                 "AND event_type = 'PaymentRecorded'"):
        if stream_id in completed:
            by_method[(data["method"], "amount")] += money(data["amount"])
    return {"figures": nonzero(totals), "by_method": nonzero(by_method)}


def reporting_totals(deployment, stores: list[str]) -> dict:
    names = ("orders", "items", "gross", "discounts", "tax", "total", "refund_count", "refunded_items", "refunds",
             "refund_tax")
    row = query(deployment, "default", f"SELECT {', '.join(f'coalesce(sum({n}), 0)' for n in names)} "
                "FROM reporting_daily_sales WHERE store_code = ANY(%s)", (stores,))[0]
    figures = {name: (value if name in ("orders", "items", "refund_count", "refunded_items") else money(value))
               for name, value in zip(names, row)}
    by_method = {}
    for method, amount, refunds in query(deployment, "default", "SELECT method, sum(amount), sum(refunds) FROM "
                                         "reporting_payment_method_sales WHERE store_code = ANY(%s) GROUP BY method",
                                         (stores,)):
        by_method.update({(method, "amount"): money(amount), (method, "refunds"): money(refunds)})
    return {"figures": nonzero(figures), "by_method": nonzero(by_method)}


def nonzero(figures) -> dict:
    """Zero figures dropped: a roll-up has no row (or a zero) where the events have nothing."""
    return {key: value for key, value in figures.items() if value}


def stock_ledger(orders: dict[str, dict], received: dict[str, int]) -> dict[str, int]:
    """received - sold (completed sales) + refunded, per product."""
    on_hand = Counter(received)
    for o in orders.values():
        if o["status"] == "completed":
            for line in o["lines"].values():
                on_hand[line["product_id"]] -= line["quantity"] - line["refunded_quantity"]
    return {product: on_hand[product] for product in received}


def delivery(deployment, sources: dict[str, set[str]]) -> dict[str, dict]:
    """Per consumer: events appended by its source contexts, delivered (in its inbox), dead, lost."""
    homes = {"catalog": "catalog", "sales": "sales", "customers": "default", "reporting": "default",
             "stores": "default"}
    appended = {}
    for context, alias in homes.items():
        appended[context] = {str(r[0]) for r in query(deployment, alias, "SELECT event_id FROM es_event "
                                                      "WHERE context = %s", (context,))}
    out = {}
    for consumer, contexts in sources.items():
        rows = query(deployment, homes[consumer], "SELECT event_id, status FROM es_inbox WHERE consumer = %s",
                     (consumer,))
        inbox = {str(event_id) for event_id, _ in rows}
        wanted = set().union(*(appended[c] for c in contexts))
        out[consumer] = {"appended": len(wanted), "delivered": len(inbox & wanted),
                         "dead": sum(1 for _, status in rows if status != "applied"), "lost": len(wanted - inbox)}
    return out
