"""The managers' dashboard on the admin index, in a real browser: Debian's headless Chromium,
driven by Playwright (the PyPI package only; the system browser, never a download), against a
live server of this test process. A manager logs in through the admin's login form; the page
must show today's figures and draw every chart with the right data: each bar's data attributes
equal a from-scratch computation over the event table, every non-zero bar has a non-empty
bounding box, and bar lengths are proportional to their values. A screenshot is saved for a
person to look at (its path is printed).

Chromium comes from `scripts/browsers` (`apt-get install -y chromium`)."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from tests.helpers.auth import at_till
from tests.helpers.browser import chromium_page, log_in
from tests.helpers.processes import ARTIFACTS_DIR

from .independent import compute
from .story import DAY1, DAY2

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SCREENSHOT = ARTIFACTS_DIR / "dashboard.png"
D = Decimal


def earlier_days(clock, bob, ids, days: int = 12):
    """Some trading at till T2 on the days before the story, so the 30-day chart has a shape:
    each day bob opens the till, sells a few things at different hours, and closes it."""
    t2, products = ids["tills"]["T2"], ids["products"]
    for back in range(2, days + 2):
        day = DAY1 - dt.timedelta(days=back)
        clock.at(day, "08:30")
        assert bob.post(f"/api/v1/sales/tills/{t2}/open/", {"opening_float": "20.00"}, format="json").status_code == 201
        for n in range(back % 4 + 1):
            clock.at(day, f"{9 + (back * 3 + n * 4) % 10:02d}:15")
            lines = [{"product_id": str(products["COF"]), "quantity": 1 + n % 2},
                     {"product_id": str(products["NET" if n % 2 else "SOAP"]), "quantity": 1}]
            body = {"till_id": str(t2), "lines": lines}
            if n % 3 == 0:  # cash at the counter (with change); the others pay by card afterwards
                body["payments"] = [{"method": "cash", "amount": "40.00"}]
            response = bob.post("/api/v1/sales/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
            assert response.status_code == 201, response.json()
            order = response.json()
            if order["status"] != "completed":
                paid = bob.post(f"/api/v1/sales/orders/{order['id']}/payments/",
                                {"payments": [{"method": "card", "amount": order["remaining"]}], "till_id": str(t2)},
                                format="json")
                assert paid.status_code == 200, paid.json()
        clock.at(day, "19:00")
        assert bob.post(f"/api/v1/sales/tills/{t2}/close/", {"counted": {"cash": "20.00"}},
                        format="json").status_code == 200


def expected_figures():
    """What the dashboard must show, from scratch over the event table (today = the story's day 2)."""
    start = DAY2 - dt.timedelta(days=29)
    window = compute(start, DAY2)
    per_day = {start + dt.timedelta(days=n): D("0.00") for n in range(30)}
    for (day, _store), row in window["daily"].items():
        per_day[dt.date.fromisoformat(day)] += D(row["net"])
    products = sorted(window["products"].values(), key=lambda r: (-D(r["net"]), -r["items"], r["sku"]))[:8]
    return {
        "today": compute(DAY2, DAY2)["totals"],
        "days": {day.isoformat(): value for day, value in per_day.items()},
        "hours": {hour: D(row["net"]) for hour, row in window["hours"].items()},
        "products": [(r["sku"], D(r["net"])) for r in products],
        "payments": {method: D(m["amount"]) for method, m in window["payment_mix"].items()},
        "low_stock": sorted((sku, s["available"]) for sku, s in window["stock"].items() if s["low"]),
    }


BARS_JS = """els => els.map(e => {
  const r = e.getBoundingClientRect();
  return {data: {...e.dataset}, width: r.width, height: r.height, fill: getComputedStyle(e).fill};
})"""


def assert_proportional(bars, length: str, label: str):
    """Every bar's length (width or height) is |value| x the same scale, to within a pixel."""
    longest = max(bars, key=lambda b: abs(D(b["data"]["value"])))
    biggest = abs(D(longest["data"]["value"]))
    assert biggest > 0 and longest[length] > 20, (label, longest)
    scale = longest[length] / float(biggest)
    for bar in bars:
        value = abs(float(D(bar["data"]["value"])))
        assert abs(bar[length] - value * scale) <= 1.0, (label, bar, scale)
        if value:
            assert bar["width"] > 0 and bar["height"] > 0 and bar["fill"] not in ("none", ""), (label, bar)


def test_the_dashboard_draws_the_right_figures_in_chromium(known_days, clock, live_server, manager_user,
                                                            make_client, capsys):
    from django.contrib.auth import get_user_model

    bob_user = get_user_model().objects.get(username="bob")
    bob = at_till(make_client(bob_user), bob_user, known_days["tills"]["T2"])
    earlier_days(clock, bob, known_days)
    clock.at(DAY2, "18:00")  # "now", for the live server too: today is the story's day 2
    manager_user.is_staff = True  # the admin is for staff; the manager role shows the dashboard
    manager_user.save(update_fields=["is_staff"])
    expected = expected_figures()  # all database reads before the browser starts

    with chromium_page(viewport=(1440, 900)) as page:
        log_in(page, live_server.url, manager_user)
        page.wait_for_selector("#sales-dashboard", timeout=15_000)
        assert page.get_attribute("#sales-dashboard", "data-today") == DAY2.isoformat()

        # today's figures
        cards = page.eval_on_selector_all(
            "#today-figures .card", "els => els.map(e => [e.dataset.figure, e.querySelector('.value').textContent])")
        cards = dict(cards)
        for name in ("orders", "total", "gross", "discounts", "tax", "refunds", "net", "average_basket"):
            assert cards[name].strip() == str(expected["today"][name] or "—"), name

        # net sales per day, last 30 days: one bar a day, right values, proportional heights
        days = page.eval_on_selector_all("#chart-days rect.day-bar", BARS_JS)
        assert [b["data"]["day"] for b in days] == list(expected["days"])
        assert {b["data"]["day"]: D(b["data"]["value"]) for b in days} == expected["days"]
        assert sum(1 for b in days if D(b["data"]["value"])) >= 12
        assert_proportional(days, "height", "days")

        hours = page.eval_on_selector_all("#chart-hours rect.hour-bar", BARS_JS)
        assert {int(b["data"]["hour"]): D(b["data"]["value"]) for b in hours} == expected["hours"]
        assert_proportional(hours, "height", "hours")
        negative = [b for b in hours if D(b["data"]["value"]) < 0]
        assert all(b["fill"] != days[0]["fill"] for b in negative)  # refunds-only hours draw in another colour

        products = page.eval_on_selector_all("#chart-products rect.product-bar", BARS_JS)
        assert [(b["data"]["product"], D(b["data"]["value"])) for b in products] == expected["products"]
        assert_proportional(products, "width", "products")

        payments = page.eval_on_selector_all("#chart-payments rect.payment-bar", BARS_JS)
        assert {b["data"]["method"]: D(b["data"]["value"]) for b in payments} == expected["payments"]
        assert_proportional(payments, "width", "payments")

        low = page.eval_on_selector_all("#low-stock tbody tr", "els => els.map(e => [e.dataset.sku, "
                                                               "Number(e.dataset.available)])")
        assert sorted(map(tuple, low)) == expected["low_stock"]

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000
    with capsys.disabled():  # shown even when pytest captures output
        print(f"\ndashboard screenshot (for a person to look at): {SCREENSHOT}")


def test_only_managers_see_the_dashboard(client, manager_user, admin_user, cashier_user):
    cashier_user.is_staff = True  # a cashier with admin access still sees no figures
    cashier_user.save(update_fields=["is_staff"])
    client.force_login(cashier_user)
    page = client.get("/admin/")
    assert page.status_code == 200 and b"sales-dashboard" not in page.content
    for user in (manager_user, admin_user):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        client.force_login(user)
        page = client.get("/admin/")
        assert page.status_code == 200 and b'id="sales-dashboard"' in page.content
        assert page.content.count(b'class="bar day-bar') == 30 and page.content.count(b'class="bar hour-bar') == 24
