"""Every report worked out from scratch from the event table (`StoredEvent` rows of the sales and
catalog contexts), with none of the reporting code: plain loops over the events' JSON, written
from the event contracts and the definitions in contexts/reporting/reports.py. The tests compare
its answers with the API's."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from infrastructure.eventstore.models import StoredEvent

D = Decimal
ZERO = D("0.00")


def _t(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.timezone.utc)


def _s(value) -> str | None:
    return None if value is None else str(D(value).quantize(D("0.01")))


def _avg(total: Decimal, orders: int) -> str | None:
    return str((total / orders).quantize(D("0.01"), rounding=ROUND_HALF_UP)) if orders else None


class _Fig:
    def __init__(self):
        self.orders = self.items = self.refund_count = self.refunded_items = 0
        self.gross = self.discounts = self.tax = self.total = self.refunds = self.refund_tax = ZERO

    def as_json(self, *, baskets: bool = True) -> dict:
        out = {"orders": self.orders, "items": self.items, "gross": _s(self.gross), "discounts": _s(self.discounts),
               "tax": _s(self.tax), "total": _s(self.total), "refund_count": self.refund_count,
               "refunded_items": self.refunded_items, "refunds": _s(self.refunds), "refund_tax": _s(self.refund_tax),
               "net": _s(self.gross - self.discounts - self.refunds)}
        if baskets:
            out["average_basket"] = _avg(self.total, self.orders)
        return out


def _events(context: str):
    return list(StoredEvent.objects.filter(context=context).order_by("stream_id", "version")
                .values_list("event_type", "stream_id", "version", "data", "recorded_at"))


def compute(start: dt.date, end: dt.date, store: str | None = None) -> dict:
    """Every report for the period (inclusive UTC dates), as the API's JSON would show it."""
    sales, catalog = _events("sales"), _events("catalog")

    # --- the catalog: categories and products as of now -----------------------------------------
    category_names, products = {}, {}
    for kind, stream, version, d, at in catalog:
        if kind in ("CategoryCreated", "CategoryRenamed"):
            category_names[d["category_id"]] = d["name"]
        elif kind in ("ProductCreated", "ProductDetailsUpdated"):
            product = products.setdefault(d["product_id"], {"on_hand": 0, "reserved": 0, "status": "active"})
            product.update(sku=d["sku"], name=d["name"], category_id=d["category_id"],
                           threshold=d["low_stock_threshold"])
            if kind == "ProductCreated":
                product["price"] = D(d["unit_price"])
        elif kind == "ProductPriceChanged":
            products[d["product_id"]]["price"] = D(d["new_price"])
        elif kind == "ProductDiscontinued":
            products[d["product_id"]]["status"] = "discontinued"
        elif kind == "ProductReactivated":
            products[d["product_id"]]["status"] = "active"
        # stock as the sum of movements (the projection uses the events' "after" figures instead)
        elif kind in ("StockReceived", "StockReturned"):
            products[d["product_id"]]["on_hand"] += d["quantity"]
        elif kind == "StockSold":
            products[d["product_id"]]["on_hand"] -= d["quantity"]
        elif kind == "StockAdjusted":
            products[d["product_id"]]["on_hand"] += d["delta"]
        elif kind == "ProductStockReserved":
            products[d["product_id"]]["reserved"] += d["quantity"]
        elif kind == "ProductReservationReleased":
            products[d["product_id"]]["reserved"] -= d["quantity"]
        elif kind == "ReservedStockShipped":
            products[d["product_id"]]["on_hand"] -= d["quantity"]
            products[d["product_id"]]["reserved"] -= d["quantity"]

    # --- sales ------------------------------------------------------------------------------------
    store_names = {}
    completed, payments, refunds = {}, defaultdict(list), []
    for kind, stream, version, d, at in sales:
        if kind == "TillRegistered":
            store_names[d["store_code"]] = d["store_name"]
        elif kind == "OrderCompleted":
            completed[d["order_id"]] = d
        elif kind == "PaymentRecorded":
            payments[d["order_id"]].append(d)
        elif kind == "OrderRefunded":
            refunds.append((d, at.astimezone(dt.timezone.utc)))

    def wanted(day: dt.date, code: str) -> bool:
        return start <= day <= end and (store is None or code == store)

    daily, hourly, cashiers, by_product = (defaultdict(_Fig) for _ in range(4))
    totals = _Fig()
    mix = defaultdict(lambda: {"payments": 0, "amount": ZERO, "refund_count": 0, "refunds": ZERO})
    for order in completed.values():
        at = _t(order["completed_at"])
        if not wanted(at.date(), order["store_code"]):
            continue
        items = sum(line["quantity"] for line in order["lines"])
        for fig in (daily[(at.date().isoformat(), order["store_code"])], hourly[at.hour], cashiers[order["cashier"]],
                    totals):
            fig.orders += 1
            fig.items += items
            fig.gross += D(order["gross"])
            fig.discounts += D(order["discount_total"])
            fig.tax += D(order["tax_total"])
            fig.total += D(order["total"])
        seen = set()
        for line in order["lines"]:
            fig = by_product[line["product_id"]]
            if line["product_id"] not in seen:
                seen.add(line["product_id"])
                fig.orders += 1
            fig.items += line["quantity"]
            fig.gross += D(line["gross"])
            fig.discounts += D(line["discount"])
            fig.tax += D(line["tax"])
            fig.total += D(line["total"])
        for payment in payments[order["order_id"]]:
            mix[payment["method"]]["payments"] += 1
            mix[payment["method"]]["amount"] += D(payment["amount"])
    for refund, at in refunds:
        code = completed[refund["order_id"]]["store_code"]
        if not wanted(at.date(), code):
            continue
        items = sum(line["quantity"] for line in refund["lines"])
        for fig in (daily[(at.date().isoformat(), code)], hourly[at.hour], cashiers[refund["cashier"]], totals):
            fig.refund_count += 1
            fig.refunded_items += items
            fig.refunds += D(refund["total"])
            fig.refund_tax += D(refund["tax"])
        counted = set()
        for line in refund["lines"]:
            fig = by_product[line["product_id"]]
            if line["product_id"] not in counted:
                counted.add(line["product_id"])
                fig.refund_count += 1
            fig.refunded_items += line["quantity"]
            fig.refunds += D(line["amount"])
            fig.refund_tax += D(line["tax"])
        mix[refund["method"]]["refund_count"] += 1
        mix[refund["method"]]["refunds"] += D(refund["total"])

    by_category = defaultdict(lambda: [set(), _Fig()])
    for product_id, fig in by_product.items():
        category = products.get(product_id, {}).get("category_id")
        entry = by_category[category]
        entry[0].add(product_id)
        for name in ("items", "refunded_items"):
            setattr(entry[1], name, getattr(entry[1], name) + getattr(fig, name))
        for name in ("gross", "discounts", "tax", "total", "refunds", "refund_tax"):
            setattr(entry[1], name, getattr(entry[1], name) + getattr(fig, name))

    taken = sum((m["amount"] for m in mix.values()), ZERO)

    def category_row(figures: _Fig, count: int) -> dict:
        row = figures.as_json(baskets=False)
        del row["orders"], row["refund_count"]
        return {"products": count, **row}

    return {
        "daily": {key: {"store_name": store_names.get(key[1], ""), "time_zone": "UTC", **fig.as_json()} for key, fig in daily.items()},
        "totals": totals.as_json(),
        "hours": {hour: (hourly[hour].as_json() if hour in hourly else _Fig().as_json()) for hour in range(24)},
        "cashiers": {name: fig.as_json() for name, fig in cashiers.items()},
        "products": {pid: {"sku": products.get(pid, {}).get("sku", ""), **fig.as_json()}
                     for pid, fig in by_product.items()},
        "categories": {(category_names.get(cid) if cid else "(uncategorised)"): category_row(fig, len(pids))
                       for cid, (pids, fig) in by_category.items()},
        "payment_mix": {method: {"payments": m["payments"], "amount": _s(m["amount"]),
                                 "refund_count": m["refund_count"], "refunds": _s(m["refunds"]),
                                 "net": _s(m["amount"] - m["refunds"]),
                                 "share": _s((m["amount"] * 100 / taken).quantize(D("0.01"), ROUND_HALF_UP))
                                 if taken else "0.00"}
                        for method, m in mix.items()},
        "stock": {p["sku"]: {"on_hand": p["on_hand"], "reserved": p["reserved"],
                             "available": p["on_hand"] - p["reserved"], "unit_price": _s(p["price"]),
                             "value": _s(p["on_hand"] * p["price"]), "status": p["status"],
                             "low": p["on_hand"] < 0 or (p["status"] == "active"
                                                         and p["on_hand"] - p["reserved"] <= p["threshold"])}
                  for p in products.values()},
        "z_reports": z_reports(sales),
    }


def z_reports(sales) -> dict:
    """Each session in the `ZReport` shape (amounts as strings): the sum of what happened at its
    till, worked out here from the orders' events (each payment, completion, refund and void names
    its session) and the session's own (float, cash in and out, what was counted); and, for closed
    sessions, the one published at closing. What reporting shows is the published one once closed,
    and while open only the float and the cash moved (sales count at the close)."""
    sessions = {}
    for kind, stream, version, d, at in sales:  # the sessions first: the events are in stream order
        if kind == "TillSessionOpened":
            sessions[d["session_id"]] = {"float": D(d["opening_float"]), "in": ZERO, "out": ZERO, "sales": 0,
                                         "gross": ZERO, "disc": ZERO, "tax": ZERO, "refunds": ZERO, "refund_count": 0,
                                         "voids": ZERO, "void_count": 0, "taken": defaultdict(lambda: ZERO), "back": defaultdict(lambda: ZERO),
                                         "counted": {}, "published": None}
    for kind, stream, version, d, at in sales:
        s = sessions.get(d.get("session_id")) if kind != "TillRegistered" else None
        if s is None:
            continue
        if kind == "CashMovementRecorded":
            if D(d["amount"]) > 0:
                s["in"] += D(d["amount"])
            else:
                s["out"] -= D(d["amount"])
        elif kind == "OrderCompleted":
            s["sales"] += 1
            s["gross"] += D(d["gross"])
            s["disc"] += D(d["discount_total"])
            s["tax"] += D(d["tax_total"])
        elif kind == "PaymentRecorded":
            s["taken"][d["method"]] += D(d["amount"])
        elif kind == "OrderRefunded":
            s["refunds"] += D(d["total"])
            s["refund_count"] += 1
            s["back"][d["method"]] += D(d["total"])
        elif kind == "OrderVoided":
            s["voids"] += D(d["total"])
            s["void_count"] += 1
            for returned in d["returned"]:
                s["back"][returned["method"]] += D(returned["amount"])
        elif kind == "TillSessionClosed":
            s["published"] = d["z_report"]
            s["counted"] = {m["method"]: D(m["counted"]) for m in d["z_report"]["methods"]}
    out = {}
    for session_id, s in sessions.items():
        methods = []
        for method in ("cash", "card"):
            expected = (s["float"] + s["in"] - s["out"] if method == "cash" else ZERO) + s["taken"][method] \
                - s["back"][method]
            counted = s["counted"].get(method)
            methods.append({"method": method, "expected": _s(expected), "counted": _s(counted),
                            "difference": _s(counted - expected) if counted is not None else None})
        summed = {"sales_count": s["sales"], "gross": _s(s["gross"]), "discounts": _s(s["disc"]),
                  "tax": _s(s["tax"]), "refunds": _s(s["refunds"]), "refund_count": s["refund_count"],
                  "net": _s(s["gross"] - s["disc"] - s["refunds"]), "opening_float": _s(s["float"]),
                  "cash_in": _s(s["in"]), "cash_out": _s(s["out"]), "methods": methods,
                  "cash_difference": methods[0]["difference"], "void_count": s["void_count"],
                  "voids": _s(s["voids"]), "discount_total": _s(s["disc"]), "tax_total": _s(s["tax"])}
        if s["published"] is None:  # open: the float and the cash moved only
            summed = {**summed, **{k: "0.00" for k in ("gross", "discounts", "tax", "refunds", "net", "voids",
                                                       "discount_total", "tax_total")},
                      "sales_count": 0, "refund_count": 0, "void_count": 0,
                      "methods": [{**m, "expected": _s(s["float"] + s["in"] - s["out"]) if m["method"] == "cash"
                                   else "0.00"} for m in methods]}
        out[session_id] = {"z_report": summed, "published": s["published"]}
    return out
