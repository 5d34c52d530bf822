"""Receipts of an order, from the read models: as text for a 40-column receipt printer and as a
print-friendly HTML page (`templates/sales/receipt.html`). Both render the same content, built
once by `receipt_content`.

    parts = load_receipt(order_id)          # the order, its lines, payments, refunds and till
    text = render_text(**parts)             # shop name and currency default to the settings
    html = render_html(**parts)

The store's details (name, address, tax id, receipt header and footer) come from the stores
context's events (`StoreDetails`); times are shown in the store's time zone, with the zone (UTC for
a store sales has not heard of). Amounts are the ones the events carried; nothing is recomputed
except the per-rate tax breakdown of an order published without one.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string

from .models import OrderLineView, OrderView, PaymentView, RefundView, StoreDetails, TenderView, TillView

WIDTH = 40
DEFAULT_SHOP_NAME = "POS Demo Shop"
ZERO = Decimal("0.00")
FOOTER = ("Thank you for your visit!", "Keep this receipt for refunds.")


# --- loading ----------------------------------------------------------------------------------
def load_receipt(order, *, using: str | None = None) -> dict:
    """The keyword arguments of `render_text`/`render_html` for an order (an `OrderView` or its
    id), read from the sales read models. Raises `OrderView.DoesNotExist` for an unknown id."""
    db = using or OrderView.objects.db
    if not isinstance(order, OrderView):
        order = OrderView.objects.using(db).get(order_id=order)
    till = TillView.objects.using(db).filter(till_id=order.till_id).first() if order.till_id else None
    return {
        "order": order,
        "lines": list(OrderLineView.objects.using(db).filter(order_id=order.order_id).order_by("line_no")),
        "payments": list(PaymentView.objects.using(db).filter(order_id=order.order_id)
                         .order_by("recorded_at", "stream_version", "payment_id")),
        "refunds": list(RefundView.objects.using(db).filter(order_id=order.order_id)
                        .order_by("recorded_at", "refund_id")),
        "till": till,
        "store": StoreDetails.objects.using(db).filter(code=order.store_code).first(),
        "tender_names": dict(TenderView.objects.using(db).values_list("code", "name")),
    }


# --- the content, shared by both renderers ----------------------------------------------------
def money(value) -> str:
    return f"{Decimal(str(value if value is not None else 0)):.2f}"


def rate_label(rate) -> str:
    """20.00 -> "20%", 5.50 -> "5.5%", 0 -> "0%"."""
    text = format(Decimal(str(rate)).normalize(), "f")
    return f"{text}%"


def local_time(value: dt.datetime | None, store: StoreDetails | None = None) -> str:
    """`value` as a person in the store reads it: "2026-12-02 00:30 CET" (UTC without a store)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    try:
        zone = zoneinfo.ZoneInfo(store.time_zone) if store is not None else dt.timezone.utc
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.timezone.utc
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _taxes(order: OrderView, lines) -> list[dict]:
    """Per tax rate: the taxable amount (excluding tax) and the tax. From the order's published
    breakdown when it has one, else summed from its lines."""
    if order.taxes:
        rows = [(Decimal(str(t["rate"])), Decimal(str(t["taxable"])), Decimal(str(t["tax"]))) for t in order.taxes]
    else:
        by_rate: dict[Decimal, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
        for line in lines:
            by_rate[line.tax_rate][0] += line.total - line.tax
            by_rate[line.tax_rate][1] += line.tax
        rows = [(rate, taxable, tax) for rate, (taxable, tax) in by_rate.items()]
    return [{"rate": rate_label(rate), "taxable": money(taxable), "tax": money(tax)} for rate, taxable, tax in
            sorted(rows)]


def receipt_content(order: OrderView, lines: Iterable[OrderLineView], payments: Iterable[PaymentView],
                    refunds: Iterable[RefundView], till: TillView | None = None, shop_name: str | None = None,
                    currency: str | None = None, store: StoreDetails | None = None,
                    tender_names: dict | None = None) -> dict:
    """Everything a receipt shows, as display strings."""
    lines, payments, refunds = list(lines), list(payments), list(refunds)
    shop_name = shop_name or (store.name if store is not None else "") or getattr(settings, "POS_SHOP_NAME", "") \
        or DEFAULT_SHOP_NAME
    currency = currency or getattr(settings, "POS_CURRENCY", "") or ""
    store_name = store.name if store is not None else (till.store_name if till is not None else "")
    details = [("Store", order.store_code + (f" - {store_name}" if store_name else ""))]
    if till is not None:
        details.append(("Till", till.name))
    elif order.kind == "delivery":
        details.append(("Till", "delivery order"))
    details += [("Cashier", order.cashier), ("Date", local_time(order.placed_at, store)), ("Order", order.number)]
    if order.customer_name:
        details.append(("Customer", order.customer_name))
    items = [{
        "name": line.name, "quantity": line.quantity, "unit_price": money(line.unit_price),
        "discount_percent": rate_label(line.discount_percent) if line.discount else "",
        "discount": money(-line.discount) if line.discount else "", "total": money(line.total),
    } for line in lines]
    names = tender_names or {}

    def tender(method: str) -> str:  # the shop's name for its own tenders
        return names.get(method) or method.capitalize()

    paid = [{"method": tender(p.method) + (f" {p.reference}" if getattr(p, "reference", "") else ""),
             "amount": money(p.tendered if p.tendered else p.amount)} for p in payments]
    due = order.total - order.paid if order.status in ("placed", "confirmed") else ZERO
    refund_rows = [{
        "when": local_time(r.recorded_at, store), "method": names.get(r.method, r.method), "total": money(-r.total), "reason": r.reason,
        "lines": [{"quantity": item.get("quantity"), "name": item.get("name") or item.get("sku") or
                   f"line {item.get('line_no')}", "amount": money(-Decimal(str(item.get("amount", 0))))}
                  for item in r.lines],
    } for r in refunds]
    ship_to = order.ship_to or None
    return {
        "shop_name": shop_name, "currency": currency, "details": details, "items": items,
        "gross": money(order.gross), "discount_total": money(-order.discount_total) if order.discount_total else "",
        "subtotal": money(order.subtotal), "taxes": _taxes(order, lines), "tax_total": money(order.tax_total),
        "total": money(order.total), "payments": paid, "change": money(order.change) if order.change else "",
        "due": money(due) if due > 0 else "", "refunds": refund_rows,
        "refunded_total": money(-order.refunded_total) if refund_rows else "",
        "cancelled": order.status == "cancelled", "cancelled_reasons": list(order.cancelled_reasons or []),
        "ship_to": ship_to,
        "store_lines": ([*store.address_lines, f"Tax id: {store.tax_id}"] if store is not None else []),
        "header": (store.receipt_header.splitlines() if store is not None and store.receipt_header else []),
        "footer": (store.receipt_footer.splitlines() if store is not None and store.receipt_footer else list(FOOTER)),
    }


# --- JSON ---------------------------------------------------------------------------------------
def render_json(order: OrderView, lines, payments, refunds, till: TillView | None = None,
                shop_name: str | None = None, currency: str | None = None, store: StoreDetails | None = None,
                tender_names: dict | None = None) -> dict:
    """The receipt as data, for a till that prints on its own printer: the same content as the
    text and HTML receipts (amounts as two-place strings, refunds negative), with the shop and
    store details as fields instead of labelled lines."""
    c = receipt_content(order, lines, payments, refunds, till, shop_name, currency, store, tender_names)
    return {
        "shop_name": c["shop_name"], "currency": c["currency"],
        "store": _store_json(order, till, store),
        "till": till.name if till is not None else None, "cashier": order.cashier, "number": order.number,
        "date": local_time(order.placed_at, store), "customer": order.customer_name or None, "status": order.status,
        **{key: c[key] for key in ("items", "gross", "discount_total", "subtotal", "taxes", "tax_total", "total",
                                   "payments", "change", "due", "refunds", "refunded_total", "cancelled_reasons",
                                   "ship_to", "header", "footer")},
    }


def _store_json(order: OrderView, till: TillView | None, store: StoreDetails | None) -> dict:
    if store is None:  # a store sales has not heard of (yet): what the till was registered with
        return {"code": order.store_code, "name": till.store_name if till is not None else "", "address": [],
                "tax_id": "", "time_zone": "UTC"}
    return {"code": store.code, "name": store.name, "address": store.address_lines, "tax_id": store.tax_id,
            "time_zone": store.time_zone}


# --- text ---------------------------------------------------------------------------------------
def _cut(text: str, width: int) -> str:
    text = "".join(ch if ch.isprintable() else " " for ch in str(text))
    return text if len(text) <= width else text[:max(width, 0)]


def _pair(left: str, right: str) -> str:
    """`left` and `right` on one line of WIDTH columns, `right` flush right (left truncated)."""
    right = _cut(right, WIDTH)
    left = _cut(left, WIDTH - len(right) - 1) if right else _cut(left, WIDTH)
    return left + " " * (WIDTH - len(left) - len(right)) + right


def _centre(text: str) -> str:
    return _cut(text, WIDTH).center(WIDTH).rstrip()


def render_text(order: OrderView, lines, payments, refunds, till: TillView | None = None,
                shop_name: str | None = None, currency: str | None = None, store: StoreDetails | None = None,
                tender_names: dict | None = None) -> str:
    """The receipt as plain text; no line is longer than 40 characters."""
    c = receipt_content(order, lines, payments, refunds, till, shop_name, currency, store, tender_names)
    rule = "-" * WIDTH
    out = [_centre(c["shop_name"])]
    out += [_centre(text) for text in c["store_lines"] + c["header"]]
    out.append("")
    out += [_cut(f"{label}: {value}", WIDTH) for label, value in c["details"]]
    if c["cancelled"]:
        out += ["", _centre("*** CANCELLED ***")]
        out += [_cut(f"  {reason}", WIDTH) for reason in c["cancelled_reasons"]]
    out.append(rule)
    for item in c["items"]:
        out.append(_pair(item["name"], item["total"]))
        out.append(_cut(f"  {item['quantity']} x {item['unit_price']}", WIDTH))
        if item["discount"]:
            out.append(_cut(f"  discount {item['discount_percent']}: {item['discount']}", WIDTH))
    out.append(rule)
    if c["discount_total"]:
        out.append(_pair("Before discounts", c["gross"]))
        out.append(_pair("Discounts", c["discount_total"]))
    out.append(_pair("Subtotal (excl. tax)", c["subtotal"]))
    for tax in c["taxes"]:
        out.append(_pair(f"Tax {tax['rate']} on {tax['taxable']}", tax["tax"]))
    out.append(_pair(f"TOTAL {c['currency']}".strip(), c["total"]))
    if c["payments"] or c["due"]:
        out.append(rule)
    for payment in c["payments"]:
        out.append(_pair(payment["method"], payment["amount"]))
    if c["change"]:
        out.append(_pair("Change", c["change"]))
    if c["due"]:
        out.append(_pair("Amount due", c["due"]))
    if c["refunds"]:
        out.append(rule)
        for refund in c["refunds"]:
            out.append(_pair(f"REFUND ({refund['method']})", refund["total"]))
            out.append(_cut(f"  {refund['when']}", WIDTH))
            for item in refund["lines"]:
                out.append(_pair(f"  {item['quantity']} x {item['name']}", item["amount"]))
            if refund["reason"]:
                out.append(_cut(f"  Reason: {refund['reason']}", WIDTH))
        out.append(_pair("Refunded total", c["refunded_total"]))
    if c["ship_to"]:
        s = c["ship_to"]
        out += [rule, "Ship to:"]
        out += [_cut(f"  {text}", WIDTH) for text in ship_to_lines(s)]
    out.append(rule)
    out += [_centre(text) for text in c["footer"]]
    return "\n".join(out) + "\n"


# --- HTML ---------------------------------------------------------------------------------------
def ship_to_lines(ship_to: dict | None) -> list[str]:
    """A shipping address as printed: an erased one (docs/personal-data.md) is its name alone."""
    if not ship_to:
        return []
    place = f"{ship_to.get('postal_code') or ''} {ship_to.get('city') or ''}"
    return [text.strip() for text in (ship_to.get("name"), ship_to.get("address"), place, ship_to.get("country"))
            if text and text.strip()]


def render_html(order: OrderView, lines, payments, refunds, till: TillView | None = None,
                shop_name: str | None = None, currency: str | None = None, store: StoreDetails | None = None,
                back_url: str | None = None, tender_names: dict | None = None) -> str:
    """The receipt as a print-friendly HTML page (`templates/sales/receipt.html`); with `back_url`
    (the back office) a way back and a print button above it, not printed."""
    content = receipt_content(order, lines, payments, refunds, till, shop_name, currency, store, tender_names)
    return render_to_string("sales/receipt.html", {"receipt": content, "order": order, "back_url": back_url,
                                                   "ship_to_lines": ship_to_lines(content["ship_to"])})
