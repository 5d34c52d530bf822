"""The reports, read from the reporting tables: plain dicts with `Decimal` money, shared by the
API (`api/`) and the admin dashboard (`dashboard.py`).

Definitions (the same everywhere, and the same as the sales context's Z-report):
- a sale counts on its store's local date and hour when its order completed
  (`OrderCompleted.completed_at` in the store's time zone), in the order's store; a refund on the
  local date and hour it was recorded, in its order's store (`DAYS` says this to API readers);
- gross = list price x quantity (tax included); discounts; tax = tax contained in total;
  total = what customers paid (gross - discounts); refunds = money given back (tax included);
- net = gross - discounts - refunds;
- average basket = total / orders, rounded half-up to cents (None without orders);
- tax by rate: per rate the sold lines carried, what customers paid (tax included), the tax in it and
  the sales without tax; refunds and their tax at the rate of the line refunded; tax due = tax -
  refund tax;
- payment mix: money kept per method (after change) of the orders completed in the period, and
  money given back per method; net = amount - refunds; share = amount / all amounts, in percent;
- by cashier: sales by who rang them up, refunds by who gave them;
- by category: each product under its *current* category (reporting's catalog directory);
- stock value = on hand x current unit price (the catalog's list price), per product and in
  total (negative stock counts negative); low stock = on hand < 0, or an active product whose
  available (on hand - reserved) is at or under its threshold (the catalog's own rule).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Q, Sum
from django.utils import timezone

from .models import (
    CashierSales, CategoryEntry, DailySales, Figures, HourlySales, PaymentMethodSales, ProductEntry, ProductSales,
    StockEntry, StoreEntry, TaxRateSales, TillEntry, TillSessionMethod, TillSessionReport,
)
from .store_calendar import UTC, today_in

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HUNDRED = Decimal("100")
FIGURES = Figures.ADDED
MONEY_FIGURES = ("gross", "discounts", "tax", "total", "refunds", "refund_tax")
METHOD_ORDER = ("cash", "card")
UNCATEGORISED = "(uncategorised)"
DAYS = ("Days and hours are each store's own, in its time zone (UTC for a store not registered with the "
        "stores context). Across stores in different zones a date adds up each store's own local day.")


@dataclass(frozen=True)
class Period:
    """Dates are inclusive; `store` None means every store."""

    start: dt.date
    end: dt.date
    store: str | None = None

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def filter(self, queryset):
        queryset = queryset.filter(day__gte=self.start, day__lte=self.end)
        return queryset.filter(store_code=self.store) if self.store else queryset


def business_today(time_zone: str = UTC) -> dt.date:
    """Today's business date in a time zone (a store's; UTC by default)."""
    return today_in(time_zone, timezone.now())


def store_zones() -> dict[str, str]:
    return dict(StoreEntry.objects.values_list("code", "time_zone"))


def todays_sales(now: dt.datetime | None = None) -> list[dict]:
    """Each store's figures for its own today (a Berlin shop may be a day ahead of New York's)."""
    now = now or timezone.now()
    zones = store_zones()
    utc_today = today_in(UTC, now)
    days = {today_in(zone, now) for zone in zones.values()} | {utc_today}
    rows = [r for r in daily_sales(Period(start=min(days), end=max(days)))["rows"]
            if r["day"] == today_in(zones.get(r["store_code"], UTC), now)]
    return rows


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _zero(name: str):
    return ZERO if name in MONEY_FIGURES or name in ("amount",) else 0


def _filled(row: dict, names=FIGURES) -> dict:
    """Missing figures as zeros, money to cents (SQLite sums in binary floating point; PostgreSQL
    keeps exact decimals either way)."""
    out = dict(row)
    for name in names:
        value = row.get(name)
        if value is None:
            value = _zero(name)
        elif isinstance(_zero(name), Decimal):
            value = round_cents(Decimal(value))
        out[name] = value
    return out


def derive(row: dict) -> dict:
    """Add net and average basket to a row of figures (missing figures count as zero)."""
    row = _filled(row)
    row["net"] = row["gross"] - row["discounts"] - row["refunds"]
    row["average_basket"] = round_cents(row["total"] / row["orders"]) if row["orders"] else None
    return row


def _sums(names=FIGURES) -> dict:
    return {name: Sum(name) for name in names}


def store_names() -> dict[str, str]:
    """The stores context's names, else the name the store's tills were registered with."""
    names = dict(TillEntry.objects.order_by("store_code", "till_id").values_list("store_code", "store_name"))
    return {**names, **dict(StoreEntry.objects.values_list("code", "name"))}


def totals_of(queryset) -> dict:
    return derive(queryset.aggregate(**_sums()))


# --- sales ---------------------------------------------------------------------------------------
def daily_sales(period: Period) -> dict:
    rows = period.filter(DailySales.objects.all()).order_by("day", "store_code")
    names, zones = store_names(), store_zones()
    return {
        "rows": [derive({"day": r.day, "store_code": r.store_code, "store_name": names.get(r.store_code, ""),
                         "time_zone": zones.get(r.store_code, UTC), **{name: getattr(r, name) for name in FIGURES}})
                 for r in rows],
        "totals": totals_of(period.filter(DailySales.objects.all())),
    }


def daily_series(period: Period) -> list[dict]:
    """Every day of the period (all stores, or `period.store`), days without sales as zeros."""
    by_day = {r["day"]: r for r in period.filter(DailySales.objects.all()).values("day").annotate(**_sums())}
    return [derive({**by_day.get(day, {}), "day": day}) for day in period.days]


def _directory(product_ids) -> dict:
    return {p.product_id: p for p in ProductEntry.objects.filter(product_id__in=list(product_ids))}


def _category_names() -> dict:
    return dict(CategoryEntry.objects.values_list("category_id", "name"))


def sales_by_product(period: Period, *, limit: int | None = None) -> dict:
    grouped = list(period.filter(ProductSales.objects.all()).values("product_id").annotate(**_sums()))
    labels = {}
    # The name a sale gave the product: the last one seen in the period (for products the
    # directory does not know).
    for product_id, sku, name in (period.filter(ProductSales.objects.all()).order_by("day")
                                  .values_list("product_id", "sku", "name")):
        if sku or name:
            labels[product_id] = (sku, name)
    directory = _directory(r["product_id"] for r in grouped)
    categories = _category_names()
    rows = []
    for r in grouped:
        entry = directory.get(r["product_id"])
        sku, name = (entry.sku, entry.name) if entry else labels.get(r["product_id"], ("", ""))
        category_id = entry.category_id if entry else None
        row = derive({"product_id": r["product_id"], "sku": sku, "name": name, "category_id": category_id,
                      "category_name": categories.get(category_id, "") if category_id else "",
                      **{name_: r[name_] for name_ in FIGURES}})
        rows.append(row)
    rows.sort(key=lambda row: (-row["net"], -row["items"], row["sku"], str(row["product_id"])))
    totals = derive({name: sum((row[name] for row in rows), _zero(name)) for name in FIGURES})
    return {"rows": rows[:limit] if limit else rows, "totals": totals}


def sales_by_category(period: Period) -> dict:
    products = sales_by_product(period)["rows"]
    names = _category_names()
    grouped: dict = defaultdict(lambda: {"products": 0, **{name: _zero(name) for name in FIGURES}})
    for product in products:
        row = grouped[product["category_id"]]
        row["products"] += 1
        for name in FIGURES:
            row[name] += product[name]
    rows = []
    for category_id, row in grouped.items():
        row = derive(row)
        del row["orders"], row["refund_count"], row["average_basket"]  # not additive across products
        rows.append({"category_id": category_id,
                     "category_name": names.get(category_id, "(unknown category)") if category_id else UNCATEGORISED,
                     **row})
    rows.sort(key=lambda row: (-row["net"], row["category_name"]))
    totals = derive({name: sum((row[name] for row in products), _zero(name)) for name in FIGURES})
    del totals["orders"], totals["refund_count"], totals["average_basket"]
    totals["products"] = len(products)
    return {"rows": rows, "totals": totals}


def sales_by_cashier(period: Period) -> dict:
    queryset = period.filter(CashierSales.objects.all())
    rows = [derive(r) for r in queryset.values("cashier").annotate(**_sums()).order_by("cashier")]
    return {"rows": rows, "totals": totals_of(queryset)}


def sales_by_hour(period: Period) -> dict:
    queryset = period.filter(HourlySales.objects.all())
    by_hour = {r["hour"]: r for r in queryset.values("hour").annotate(**_sums())}
    return {"rows": [derive({**by_hour.get(hour, {}), "hour": hour}) for hour in range(24)],
            "totals": totals_of(queryset)}


def _tax_row(row: dict) -> dict:
    row = _filled(row)
    return {"rate": row["rate"], "orders": row["orders"], "items": row["items"], "total": row["total"],
            "tax": row["tax"], "without_tax": row["total"] - row["tax"], "refund_count": row["refund_count"],
            "refunded_items": row["refunded_items"], "refunds": row["refunds"], "refund_tax": row["refund_tax"], "tax_due": row["tax"] - row["refund_tax"]}


def tax_by_rate(period: Period) -> dict:
    queryset = period.filter(TaxRateSales.objects.all())
    rows = [_tax_row(r) for r in queryset.values("rate").annotate(**_sums()).order_by("rate")]
    totals = _tax_row({**queryset.aggregate(**_sums()), "rate": None})
    del totals["rate"], totals["orders"], totals["refund_count"]  # an order or refund can span rates
    return {"rows": rows, "totals": totals}


PAYMENT_FIGURES = ("payments", "amount", "refund_count", "refunds")


def _payment_row(row: dict, taken_total: Decimal) -> dict:
    row = _filled(row, PAYMENT_FIGURES)
    row["net"] = row["amount"] - row["refunds"]
    row["share"] = round_cents(row["amount"] * HUNDRED / taken_total) if taken_total else ZERO
    return row


def payment_mix(period: Period) -> dict:
    queryset = period.filter(PaymentMethodSales.objects.all())
    grouped = list(queryset.values("method").annotate(**_sums(PAYMENT_FIGURES)))
    taken = sum((r["amount"] or ZERO for r in grouped), ZERO)
    order = {method: n for n, method in enumerate(METHOD_ORDER)}
    grouped.sort(key=lambda r: (order.get(r["method"], len(order)), r["method"]))
    totals = _payment_row(queryset.aggregate(**_sums(PAYMENT_FIGURES)), taken)
    del totals["share"]
    return {"rows": [_payment_row(r, taken) for r in grouped], "totals": totals}


# --- Z-reports -----------------------------------------------------------------------------------
_Z_MONEY = ("gross", "discounts", "tax", "refunds", "net", "opening_float", "cash_in", "cash_out", "voids")


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def z_report(session: TillSessionReport) -> dict:
    """The session's Z-report in the shape of the sales context's `ZReport`: once closed, the one
    sales computed at the close and published in `TillSessionClosed`, as published (amounts as
    Decimal; the long names and the void figures filled in for Z-reports published before them,
    which had none). While the session is open, only what its own stream tells: the float and the
    cash moved in and out; its sales are counted at the close (the drawer is sales' own)."""
    published = session.published_z_report
    if published is None:
        cash = session.opening_float + session.cash_in - session.cash_out
        return {"sales_count": 0, **{name: ZERO for name in _Z_MONEY}, "refund_count": 0, "void_count": 0,
                "opening_float": session.opening_float, "cash_in": session.cash_in, "cash_out": session.cash_out,
                "methods": [{"method": method, "expected": cash if method == "cash" else ZERO, "counted": None,
                             "difference": None} for method in METHOD_ORDER],
                "cash_difference": None, "discount_total": ZERO, "tax_total": ZERO}
    z = {"void_count": 0, "voids": "0.00", **published}
    return {"sales_count": z["sales_count"], "refund_count": z["refund_count"], "void_count": z["void_count"],
            **{name: _decimal(z[name]) for name in _Z_MONEY},
            "methods": [{"method": m["method"], **{what: _decimal(m[what]) for what in ("expected", "counted",
                                                                                         "difference")}}
                        for m in z["methods"]],
            "cash_difference": _decimal(z["cash_difference"]),
            "discount_total": _decimal(z.get("discount_total", z["discounts"])),
            "tax_total": _decimal(z.get("tax_total", z["tax"]))}


def session_report(session: TillSessionReport, methods: list[TillSessionMethod], tills: dict) -> dict:
    by_method = {m.method: m for m in methods}
    report = z_report(session)
    till = tills.get(session.till_id)
    return {
        "session_id": session.session_id, "till_id": session.till_id, "till_name": till.name if till else "",
        "store_code": session.store_code, "store_name": till.store_name if till else "",
        "cashier": session.cashier, "closed_by": session.closed_by, "status": session.status,
        "opened_at": session.opened_at, "closed_at": session.closed_at,
        "z_report": report,
        "z_number": (session.published_z_report or {}).get("z_number"),
        "taxes": (session.published_z_report or {}).get("taxes", []),
        "payments": [{"method": line["method"],
                      "taken": by_method[line["method"]].taken if line["method"] in by_method else ZERO,
                      "given_back": by_method[line["method"]].given_back if line["method"] in by_method else ZERO}
                     for line in report["methods"]],
        "refund_tax": session.refund_tax,
        # The Z-report is the published one: nothing here to disagree with it (kept for v1 clients).
        "reconciled": None if session.published_z_report is None else True,
        "published_z_report": session.published_z_report,
    }


def z_reports(start: dt.date, end: dt.date, *, store: str | None = None, till=None,
              status: str | None = None) -> list[dict]:
    """Sessions opened between `start` and `end` (UTC dates, inclusive), newest first."""
    since = dt.datetime.combine(start, dt.time.min, tzinfo=dt.timezone.utc)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.timezone.utc)
    sessions = TillSessionReport.objects.filter(opened_at__gte=since, opened_at__lt=until)
    if store:
        sessions = sessions.filter(store_code=store)
    if till:
        sessions = sessions.filter(till_id=till)
    if status:
        sessions = sessions.filter(status=status)
    return _session_reports(sessions.order_by("-opened_at", "session_id"))


def session_z_report(session_id) -> dict | None:
    found = _session_reports(TillSessionReport.objects.filter(session_id=session_id))
    return found[0] if found else None


def _session_reports(sessions) -> list[dict]:
    sessions = list(sessions)
    methods = defaultdict(list)
    for method in TillSessionMethod.objects.filter(session_id__in=[s.session_id for s in sessions]):
        methods[method.session_id].append(method)
    tills = {t.till_id: t for t in TillEntry.objects.filter(till_id__in={s.till_id for s in sessions})}
    return [session_report(s, methods[s.session_id], tills) for s in sessions]


# --- stock -----------------------------------------------------------------------------------------
def _stock_row(product: ProductEntry, categories: dict, entries: list, *, in_store: bool = False) -> dict:
    """A product's stock over every store (its own sums), or (`in_store`) over `entries`, its
    stock in one store. Valued twice: at the list price (`value`, as ever), and at cost
    (`cost_value`): each store's units on hand at that store's moving average cost, or the
    product's cost price where the store has none yet (docs/catalog.md, "Cost"); negative stock is
    worth nothing."""
    on_hand = sum(e.on_hand for e in entries) if in_store else product.on_hand
    reserved = sum(e.reserved for e in entries) if in_store else product.reserved
    costed = [(e, e.average_cost if e.average_cost is not None else product.cost_price) for e in entries]
    cost_value = round_cents(sum((max(e.on_hand, 0) * cost for e, cost in costed if cost is not None), ZERO))
    return {"product_id": product.product_id, "sku": product.sku, "name": product.name,
            "category_id": product.category_id,
            "category_name": categories.get(product.category_id, "") if product.category_id else "",
            "status": product.status, "on_hand": on_hand, "reserved": reserved,
            "available": on_hand - reserved, "low_stock_threshold": product.low_stock_threshold,
            "unit_price": product.unit_price, "value": round_cents(on_hand * product.unit_price),
            "cost_price": product.cost_price, "cost_value": cost_value,
            "cost_known": all(cost is not None for e, cost in costed if e.on_hand > 0)}


def stock_valuation(*, category=None, status: str | None = None, store: str | None = None) -> dict:
    """Every product's stock, over all stores or in `store` (a store code)."""
    products = ProductEntry.objects.order_by("sku", "product_id")
    if category:
        products = products.filter(category_id=category)
    if status:
        products = products.filter(status=status)
    entries = StockEntry.objects.all()
    if store:
        entries = entries.filter(store_code=store)
    by_product = defaultdict(list)
    for entry in entries:
        by_product[entry.product_id].append(entry)
    categories = _category_names()
    rows = [_stock_row(p, categories, by_product[p.product_id], in_store=bool(store))
            for p in products if not store or p.product_id in by_product]
    return {"rows": rows, "totals": {"products": len(rows), "on_hand": sum(r["on_hand"] for r in rows),
                                     "value": sum((r["value"] for r in rows), ZERO),
                                     "cost_value": sum((r["cost_value"] for r in rows), ZERO)}}


#: on hand < 0, or active with available (on hand - reserved) at or under the threshold
LOW_STOCK = Q(on_hand__lt=0) | Q(status=ProductEntry.ACTIVE, on_hand__lte=F("reserved") + F("low_stock_threshold"))


def low_stock(*, limit: int | None = None) -> dict:
    products = ProductEntry.objects.filter(LOW_STOCK)
    categories = _category_names()
    rows = []
    for product in products:
        row = _stock_row(product, categories, list(StockEntry.objects.filter(product_id=product.product_id)))
        row["negative"] = product.on_hand < 0
        row["shortfall"] = max(product.low_stock_threshold - product.available, 0)
        rows.append(row)
    rows.sort(key=lambda r: (r["available"], r["sku"]))
    return {"rows": rows[:limit] if limit else rows, "totals": {"products": len(rows)}}
