"""Two known trading days, driven through the real pipeline: catalog commands and the sales API,
each commit relayed in-process to every consuming context (the `embedded_delivery` fixture), so
the reporting projections see exactly the events a live system would publish, including the
catalog's own reactions (stock sold, returned, reserved, shipped).

A test clock (`Clock`) stands in for `django.utils.timezone.now`, so every event happens at a
known UTC time: the business dates and hours below are facts of the story, not of the day the
test runs. The figures each report must show are worked out by hand in the comments and in
`EXPECTED_*` (to the cent), from the prices and the sales context's pricing rules:

  COF  4.99 tax 10 % incl.      SOAP 2.15 tax 20 % incl.      NET 10.00 tax 20 % excl. (=12.00)
  MUG  6.00 tax 20 % incl.      TEA  3.50 (never sold)        OLD 1.00 (discontinued)

Day 1, 2026-03-02
  S1 Main Street, till T1, cashier alice (float 100.00)
    09:10 A1  2 COF                   9.98 (tax 0.91)  cash 20.00 -> change 10.02
    09:40 A2  3 SOAP -10 %  gross 6.45 disc 0.65 = 5.80 (tax 0.97)  card
    13:05 A3  2 NET + 1 COF  24.00 + 4.99 = 28.99 (tax 4.00 + 0.45)  card 10.00, cash 30.00 -> change 11.01
    13:20 bank drop -50.00
    16:30 R1  refund A3 line 1, 1 NET: 12.00 (tax 2.00) cash
    17:00 close, counted cash 87.00: expected 100 - 50 + 9.98 + 18.99 - 12.00 = 66.97 -> +20.03
  S2 Harbour, till T2, cashier bob (float 50.00)
    10:15 B1  1 MUG + 1 SOAP  6.00 + 2.15 = 8.15 (tax 1.00 + 0.36)  cash 8.15
    10:45 B2  1 MUG -50 % (rung up by the manager)  gross 6.00 disc 3.00 = 3.00 (tax 0.50)  card
    15:00 B3  1 COF 4.99 placed, left unpaid
Day 2, 2026-03-03
    08:00 stock: +10 COF received
    08:30 T1 opened again by alice (float 100.00); it stays open
    09:05 B3 paid at T2, cash 5.00 -> change 0.01: completes (and counts) on day 2, store S2, cashier bob
    09:30 R2  refund A2 1 SOAP: 5.80 / 3 = 1.93 (tax 0.97 / 3 = 0.32) card, at T1 (alice), store S1
    11:00 D1  delivery order (manager, store S1) 2 SOAP 4.30 (tax 0.72): reserved, confirmed
    11:10 D1  paid by card (no till): completes day 2, S1, cashier test-manager
    11:30 D1  shipped
    12:00 T2 closed by bob, counted cash 63.00: expected 50 + 8.15 + 4.99 = 63.14 -> -0.14
    13:00 COF price 4.99 -> 5.49; category Household renamed "Home & bath"
    14:00 stock count: SOAP 4 (breakage)
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from contexts.catalog import commands as cat
from contexts.sales import commands as sal
from contexts.stores import commands as sto
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from tests.helpers.auth import at_till

D = Decimal
UTC = dt.timezone.utc
DAY1, DAY2 = dt.date(2026, 3, 2), dt.date(2026, 3, 3)
META = Metadata.new(user="test-setup")
SHIP_TO = {"name": "Ada Lovelace", "address": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH",
           "country": "GB"}


class Clock:
    """Stands in for `django.utils.timezone.now`: the time is what the story says it is."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, day: dt.date, hhmm: str) -> dt.datetime:
        hour, minute = map(int, hhmm.split(":"))
        self.now = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)
        return self.now


def _ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), (
        response.status_code, response.content[:800])
    return response.json()


def _sell(client, body):
    return _ok(client.post("/api/v1/sales/orders/", body, format="json",
                           HTTP_IDEMPOTENCY_KEY=f"key-{uuid.uuid4()}"), 201)


def _lines(*lines):
    return [{"product_id": str(p), "quantity": q, **({"discount_percent": d} if d else {})} for p, q, d in lines]


def run_known_days(clock: Clock, alice, bob, manager, *, users: dict) -> dict:
    """Play the story above. `alice`, `bob`: cashiers' API clients (logged in at T1 and T2 once the
    tills exist: a cashier's token is bound to a till); `manager`: a manager's (no till claim: a
    manager may act on any till). `users`: name -> user. Returns the ids of what it made."""
    ids: dict = {}

    # --- the catalog, the day before ---------------------------------------------------------
    clock.at(DAY1 - dt.timedelta(days=1), "18:00")
    coffee, household = uuid.uuid4(), uuid.uuid4()
    execute(cat.CreateCategory(category_id=coffee, name="Coffee"), META)
    execute(cat.CreateCategory(category_id=household, name="Household"), META)
    ids["categories"] = {"coffee": coffee, "household": household}
    products = {}
    for sku, name, price, tax, incl, category, threshold, stock in [
        ("COF", "Coffee beans", "4.99", "10", True, coffee, 5, 20),
        ("SOAP", "Soap bar", "2.15", "20", True, household, 8, 10),
        ("NET", "Net bag", "10.00", "20", False, household, 2, 5),
        ("MUG", "Mug", "6.00", "20", True, None, 0, 1),
        ("TEA", "Green tea", "3.50", "10", True, coffee, 0, 0),
        ("OLD", "Old stock", "1.00", "20", True, None, 5, 3),
    ]:
        products[sku] = pid = uuid.uuid4()
        execute(cat.CreateProduct(product_id=pid, sku=sku, name=name, unit_price=D(price), tax_rate=D(tax),
                                  price_includes_tax=incl, category_id=category, low_stock_threshold=threshold), META)
        if stock:
            execute(cat.ReceiveStock(product_id=pid, quantity=stock, supplier_reference="opening"), META)
    execute(cat.DiscontinueProduct(product_id=products["OLD"], reason="range change"), META)
    ids["products"] = products
    t1, t2 = uuid.uuid4(), uuid.uuid4()
    for code, name in (("S1", "Main Street"), ("S2", "Harbour")):  # both shops keep UTC as their local time
        execute(sto.RegisterStore(code=code, name=name, tax_id=f"GB{code}", time_zone="UTC",
                                  address={"line1": "1 Quay", "city": "Portsmouth", "country": "GB"}), META)
    execute(sal.RegisterTill(till_id=t1, name="Front till", store_code="S1"), META)
    execute(sal.RegisterTill(till_id=t2, name="Harbour till", store_code="S2"), META)
    ids["tills"] = {"T1": t1, "T2": t2}
    at_till(alice, users["alice"], t1)
    at_till(bob, users["bob"], t2)
    p = products

    # --- day 1 ------------------------------------------------------------------------------------
    clock.at(DAY1, "08:55")
    s1 = _ok(alice.post(f"/api/v1/sales/tills/{t1}/open/", {"opening_float": "100.00"}, format="json"), 201)
    clock.at(DAY1, "09:10")
    a1 = _sell(alice, {"till_id": str(t1), "lines": _lines((p["COF"], 2, None)),
                       "payments": [{"method": "cash", "amount": "20.00"}]})
    assert (a1["total"], a1["change"], a1["status"]) == ("9.98", "10.02", "completed")
    clock.at(DAY1, "09:40")
    a2 = _sell(alice, {"till_id": str(t1), "lines": _lines((p["SOAP"], 3, "10")),
                       "payments": [{"method": "card", "amount": "5.80"}]})
    assert (a2["total"], a2["discount_total"]) == ("5.80", "0.65")
    clock.at(DAY1, "10:00")
    s2 = _ok(bob.post(f"/api/v1/sales/tills/{t2}/open/", {"opening_float": "50.00"}, format="json"), 201)
    clock.at(DAY1, "10:15")
    b1 = _sell(bob, {"till_id": str(t2), "lines": _lines((p["MUG"], 1, None), (p["SOAP"], 1, None)),
                     "payments": [{"method": "cash", "amount": "8.15"}]})
    assert b1["total"] == "8.15"
    clock.at(DAY1, "10:45")
    b2 = _sell(manager, {"till_id": str(t2), "lines": _lines((p["MUG"], 1, "50")),
                         "payments": [{"method": "card", "amount": "3.00"}]})
    assert (b2["total"], b2["discount_total"]) == ("3.00", "3.00")
    clock.at(DAY1, "13:05")
    a3 = _sell(alice, {"till_id": str(t1), "lines": _lines((p["NET"], 2, None), (p["COF"], 1, None)),
                       "payments": [{"method": "card", "amount": "10.00"}, {"method": "cash", "amount": "30.00"}]})
    assert (a3["total"], a3["change"]) == ("28.99", "11.01")
    clock.at(DAY1, "13:20")
    _ok(alice.post(f"/api/v1/sales/tills/{t1}/cash-movements/", {"amount": "-50.00", "reason": "bank drop"},
                   format="json"))
    clock.at(DAY1, "15:00")
    b3 = _sell(bob, {"till_id": str(t2), "lines": _lines((p["COF"], 1, None))})
    assert b3["status"] == "placed"
    clock.at(DAY1, "16:30")
    r1 = _ok(alice.post(f"/api/v1/sales/orders/{a3['id']}/refunds/",
                        {"lines": [{"line_no": 1, "quantity": 1}], "method": "cash", "till_id": str(t1)},
                        format="json"), 201)
    assert r1["refunded"] == "12.00"
    clock.at(DAY1, "17:00")
    close1 = _ok(alice.post(f"/api/v1/sales/tills/{t1}/close/", {"counted": {"cash": "87.00"}}, format="json"))

    # --- day 2 ------------------------------------------------------------------------------------
    clock.at(DAY2, "08:00")
    execute(cat.ReceiveStock(product_id=p["COF"], quantity=10, supplier_reference="PO-7"), META)
    clock.at(DAY2, "08:30")
    s3 = _ok(alice.post(f"/api/v1/sales/tills/{t1}/open/", {"opening_float": "100.00"}, format="json"), 201)
    clock.at(DAY2, "09:05")
    paid = _ok(bob.post(f"/api/v1/sales/orders/{b3['id']}/payments/",
                        {"payments": [{"method": "cash", "amount": "5.00"}], "till_id": str(t2)}, format="json"))
    assert (paid["status"], paid["change"]) == ("completed", "0.01")
    clock.at(DAY2, "09:30")
    r2 = _ok(alice.post(f"/api/v1/sales/orders/{a2['id']}/refunds/",
                        {"lines": [{"line_no": 1, "quantity": 1}], "method": "card", "till_id": str(t1)},
                        format="json"), 201)
    assert r2["refunded"] == "1.93"
    clock.at(DAY2, "11:00")
    d1 = _sell(manager, {"kind": "delivery", "store_code": "S1", "ship_to": SHIP_TO,
                         "lines": _lines((p["SOAP"], 2, None))})
    clock.at(DAY2, "11:10")
    d1_paid = _ok(manager.post(f"/api/v1/sales/orders/{d1['id']}/payments/",
                               {"payments": [{"method": "card", "amount": "4.30"}], "till_id": str(t1)},
                               format="json"))  # every payment goes through a till's open session
    assert d1_paid["status"] == "completed", d1_paid
    clock.at(DAY2, "11:30")
    _ok(manager.post(f"/api/v1/sales/orders/{d1['id']}/ship/"))
    clock.at(DAY2, "12:00")
    close2 = _ok(bob.post(f"/api/v1/sales/tills/{t2}/close/", {"counted": {"cash": "63.00"}}, format="json"))
    clock.at(DAY2, "13:00")
    execute(cat.ChangeProductPrice(product_id=p["COF"], unit_price=D("5.49")), META)
    execute(cat.RenameCategory(category_id=household, name="Home & bath"), META)
    clock.at(DAY2, "14:00")
    execute(cat.AdjustStock(product_id=p["SOAP"], counted_quantity=4, reason="breakage"), META)

    ids["sessions"] = {"T1-day1": uuid.UUID(s1["id"]), "T2": uuid.UUID(s2["id"]), "T1-day2": uuid.UUID(s3["id"])}
    ids["orders"] = {name: uuid.UUID(o["id"]) for name, o in
                     {"A1": a1, "A2": a2, "A3": a3, "B1": b1, "B2": b2, "B3": b3, "D1": d1}.items()}
    ids["closings"] = {"T1-day1": close1["z_report"], "T2": close2["z_report"]}
    return ids


# --- what every report must show (worked out by hand, see the module docstring) ----------------------
def figures(orders=0, items=0, gross="0.00", discounts="0.00", tax="0.00", total="0.00", refund_count=0,
            refunded_items=0, refunds="0.00", refund_tax="0.00", net="0.00", average_basket=None) -> dict:
    return {"orders": orders, "items": items, "gross": gross, "discounts": discounts, "tax": tax, "total": total,
            "refund_count": refund_count, "refunded_items": refunded_items, "refunds": refunds,
            "refund_tax": refund_tax, "net": net, "average_basket": average_basket}


EXPECTED_DAILY = [
    # day 1, S1: A1 + A2 + A3, refund R1.  44.77 / 3 = 14.923 -> 14.92
    {"day": "2026-03-02", "store_code": "S1", "store_name": "Main Street", "time_zone": "UTC",
     **figures(3, 8, "45.42", "0.65", "6.33", "44.77", 1, 1, "12.00", "2.00", "32.77", "14.92")},
    # day 1, S2: B1 + B2.  11.15 / 2 = 5.575 -> 5.58 (half up)
    {"day": "2026-03-02", "store_code": "S2", "store_name": "Harbour", "time_zone": "UTC",
     **figures(2, 3, "14.15", "3.00", "1.86", "11.15", 0, 0, "0.00", "0.00", "11.15", "5.58")},
    # day 2, S1: D1; refund R2 (of a day-1 sale)
    {"day": "2026-03-03", "store_code": "S1", "store_name": "Main Street", "time_zone": "UTC",
     **figures(1, 2, "4.30", "0.00", "0.72", "4.30", 1, 1, "1.93", "0.32", "2.37", "4.30")},
    # day 2, S2: B3 (placed on day 1, paid on day 2)
    {"day": "2026-03-03", "store_code": "S2", "store_name": "Harbour", "time_zone": "UTC",
     **figures(1, 1, "4.99", "0.00", "0.45", "4.99", 0, 0, "0.00", "0.00", "4.99", "4.99")},
]
# 65.21 / 7 = 9.3157 -> 9.32
EXPECTED_TOTALS = figures(7, 14, "68.86", "3.65", "9.36", "65.21", 2, 2, "13.93", "2.32", "51.28", "9.32")

EXPECTED_BY_PRODUCT = [  # best net first
    {"sku": "COF", "name": "Coffee beans", "category_name": "Coffee",
     **figures(3, 4, "19.96", "0.00", "1.81", "19.96", 0, 0, "0.00", "0.00", "19.96", "6.65")},
    {"sku": "NET", "name": "Net bag", "category_name": "Home & bath",
     **figures(1, 2, "24.00", "0.00", "4.00", "24.00", 1, 1, "12.00", "2.00", "12.00", "24.00")},
    {"sku": "SOAP", "name": "Soap bar", "category_name": "Home & bath",
     **figures(3, 6, "12.90", "0.65", "2.05", "12.25", 1, 1, "1.93", "0.32", "10.32", "4.08")},
    {"sku": "MUG", "name": "Mug", "category_name": "",
     **figures(2, 2, "12.00", "3.00", "1.50", "9.00", 0, 0, "0.00", "0.00", "9.00", "4.50")},
]


def category_figures(products, items, gross, discounts, tax, total, refunded_items, refunds, refund_tax, net):
    return {"products": products, "items": items, "gross": gross, "discounts": discounts, "tax": tax,
            "total": total, "refunded_items": refunded_items, "refunds": refunds, "refund_tax": refund_tax,
            "net": net}


EXPECTED_BY_CATEGORY = [  # current names; best net first
    {"category_name": "Home & bath", **category_figures(2, 8, "36.90", "0.65", "6.05", "36.25", 2, "13.93", "2.32",
                                                        "22.32")},
    {"category_name": "Coffee", **category_figures(1, 4, "19.96", "0.00", "1.81", "19.96", 0, "0.00", "0.00",
                                                   "19.96")},
    {"category_name": "(uncategorised)", "category_id": None,
     **category_figures(1, 2, "12.00", "3.00", "1.50", "9.00", 0, "0.00", "0.00", "9.00")},
]

EXPECTED_BY_CASHIER = [
    # alice: A1 A2 A3, refunds R1 R2
    {"cashier": "alice", **figures(3, 8, "45.42", "0.65", "6.33", "44.77", 2, 2, "13.93", "2.32", "30.84", "14.92")},
    # bob: B1 B3.  13.14 / 2 = 6.57
    {"cashier": "bob", **figures(2, 3, "13.14", "0.00", "1.81", "13.14", 0, 0, "0.00", "0.00", "13.14", "6.57")},
    # the manager: B2 D1.  7.30 / 2 = 3.65
    {"cashier": "test-manager",
     **figures(2, 3, "10.30", "3.00", "1.22", "7.30", 0, 0, "0.00", "0.00", "7.30", "3.65")},
]

EXPECTED_HOURS = {  # the hours with anything; every other hour is all zeros
    # A1 A2 (day 1), B3 (day 2); R2 (day 2).  20.77 / 3 = 6.923 -> 6.92
    9: figures(3, 6, "21.42", "0.65", "2.33", "20.77", 1, 1, "1.93", "0.32", "18.84", "6.92"),
    10: figures(2, 3, "14.15", "3.00", "1.86", "11.15", 0, 0, "0.00", "0.00", "11.15", "5.58"),  # B1 B2
    11: figures(1, 2, "4.30", "0.00", "0.72", "4.30", 0, 0, "0.00", "0.00", "4.30", "4.30"),  # D1
    13: figures(1, 3, "28.99", "0.00", "4.45", "28.99", 0, 0, "0.00", "0.00", "28.99", "28.99"),  # A3
    16: figures(0, 0, "0.00", "0.00", "0.00", "0.00", 1, 1, "12.00", "2.00", "-12.00", None),  # R1
}

# cash: A1 9.98 + A3 18.99 + B1 8.15 + B3 4.99 = 42.11, refund R1 12.00
# card: A2 5.80 + A3 10.00 + B2 3.00 + D1 4.30 = 23.10, refund R2 1.93
# shares: 42.11 / 65.21 = 64.576 % -> 64.58; 23.10 / 65.21 = 35.424 % -> 35.42
EXPECTED_PAYMENT_MIX = [
    {"method": "cash", "share": "64.58", "payments": 4, "amount": "42.11", "refund_count": 1, "refunds": "12.00",
     "net": "30.11"},
    {"method": "card", "share": "35.42", "payments": 4, "amount": "23.10", "refund_count": 1, "refunds": "1.93",
     "net": "21.17"},
]
EXPECTED_PAYMENT_TOTALS = {"payments": 8, "amount": "65.21", "refund_count": 2, "refunds": "13.93", "net": "51.28"}


def z(sales_count, gross, discounts, tax, refunds, refund_count, net, opening_float, cash_in, cash_out, methods,
      cash_difference):
    return {"sales_count": sales_count, "gross": gross, "discounts": discounts, "tax": tax, "refunds": refunds,
            "refund_count": refund_count, "net": net, "opening_float": opening_float, "cash_in": cash_in,
            "cash_out": cash_out,
            "methods": [{"method": m, "expected": e, "counted": c, "difference": d} for m, e, c, d in methods],
            "cash_difference": cash_difference, "void_count": 0, "voids": "0.00",
            "discount_total": discounts, "tax_total": tax}


EXPECTED_Z = {
    # 3 sales; gross 9.98 + 6.45 + 28.99; cash 100 - 50 + 9.98 + 18.99 - 12.00 = 66.97, counted 87.00
    "T1-day1": z(3, "45.42", "0.65", "6.33", "12.00", 1, "32.77", "100.00", "0.00", "50.00",
                 [("cash", "66.97", "87.00", "20.03"), ("card", "15.80", "15.80", "0.00")], "20.03"),
    # B1, B2, B3 (paid at this till on day 2); cash 50 + 8.15 + 4.99 = 63.14, counted 63.00
    "T2": z(3, "19.14", "3.00", "2.31", "0.00", 0, "16.14", "50.00", "0.00", "0.00",
            [("cash", "63.14", "63.00", "-0.14"), ("card", "3.00", "3.00", "0.00")], "-0.14"),
    # still open: its float alone. D1 was paid by card at this till and R2 went back to the card
    # from it, but a session's sales are counted once, at its close, into the Z-report sales
    # publishes (its drawer is sales' own: the sales API shows its running figures).
    "T1-day2": z(0, "0.00", "0.00", "0.00", "0.00", 0, "0.00", "100.00", "0.00", "0.00",
                 [("cash", "100.00", None, None), ("card", "0.00", None, None)], None),
}

# on hand (stock is per store since issue 16: receipts and the count name no store, so they are the
# legacy store S1's): COF 20 - 2 - 1 + 10 - 1 = 26 at 5.49 = 142.74; SOAP in S1 10 - 3 + 1 - 2 = 6,
# counted 4, and in S2 -1 (B1's): 3 at 2.15 = 6.45;
# NET 5 - 2 + 1 = 4 at 10.00 = 40.00; MUG 1 - 1 - 1 = -1 at 6.00 = -6.00; TEA 0; OLD 3 at 1.00 = 3.00
EXPECTED_STOCK = [  # by sku
    {"sku": "COF", "status": "active", "on_hand": 26, "reserved": 0, "available": 26, "low_stock_threshold": 5,
     "unit_price": "5.49", "value": "142.74", "category_name": "Coffee"},
    {"sku": "MUG", "status": "active", "on_hand": -1, "reserved": 0, "available": -1, "low_stock_threshold": 0,
     "unit_price": "6.00", "value": "-6.00", "category_name": ""},
    {"sku": "NET", "status": "active", "on_hand": 4, "reserved": 0, "available": 4, "low_stock_threshold": 2,
     "unit_price": "10.00", "value": "40.00", "category_name": "Home & bath"},
    {"sku": "OLD", "status": "discontinued", "on_hand": 3, "reserved": 0, "available": 3, "low_stock_threshold": 5,
     "unit_price": "1.00", "value": "3.00", "category_name": ""},
    {"sku": "SOAP", "status": "active", "on_hand": 3, "reserved": 0, "available": 3, "low_stock_threshold": 8,
     "unit_price": "2.15", "value": "6.45", "category_name": "Home & bath"},
    {"sku": "TEA", "status": "active", "on_hand": 0, "reserved": 0, "available": 0, "low_stock_threshold": 0,
     "unit_price": "3.50", "value": "0.00", "category_name": "Coffee"},
]
# at cost: the story gives no product a cost price nor any receipt a unit cost (tests/catalog/
# test_stock_per_store.py values stock at cost)
EXPECTED_STOCK_TOTALS = {"products": 6, "on_hand": 35, "value": "186.19", "cost_value": "0.00"}
# MUG is negative; TEA (0 <= 0) and SOAP (3 <= 8) are at or under their thresholds; OLD is discontinued
EXPECTED_LOW_STOCK = [("MUG", True, 1), ("TEA", False, 0), ("SOAP", False, 5)]  # (sku, negative, shortfall)


def as_ours(published: dict) -> dict:
    """A Z-report the sales context published, less what reporting's `z_report` does not repeat
    (the till's Z number, the tax by rate, the refunds' tax and each tender's taken and given back:
    reporting shows them beside it, as `z_number`, `taxes`, `refund_tax` and `payments`)."""
    return {**{key: value for key, value in published.items() if key not in ("z_number", "taxes", "refund_tax")},
            "methods": [{key: value for key, value in method.items() if key not in ("taken", "given_back")}
                        for method in published["methods"]]}
