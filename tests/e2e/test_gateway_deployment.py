"""Issue #7: the per-context deployment on the real services (tests/helpers/deployment.py).

catalog, customers, sales and reporting run as four gunicorns (`POS_CONTEXTS=<context>`; catalog
and sales each with a PostgreSQL database of its own, customers and reporting on `default`), with
their consumer processes, the Celery worker and beat, and nginx from deploy/nginx/gateway.conf in
front. A whole till day goes through the gateway only; the contexts meet only through Kafka.
"""

import http.cookiejar
import re
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal as D
from urllib.parse import urlsplit

import pytest

from tests.helpers.deployment import PASSWORD, gateway_deployment  # noqa: F401  (the shared fixture)
from tests.helpers.net import http_get
from tests.helpers.stores import register_till_over_api
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.e2e


def ok(response, status=200):
    assert response.status == status, (response.status, response.text[:2000])
    return response.json()


def count_events(deployment, alias: str, context: str) -> int:
    import psycopg

    url = urlsplit(deployment.env["DATABASE_URL" if alias == "default" else f"DATABASE_URL_{alias.upper()}"])
    with psycopg.connect(host=url.hostname, port=url.port, user=url.username, password=url.password,
                         dbname=url.path.lstrip("/"), connect_timeout=10) as conn:
        return conn.execute("SELECT count(*) FROM es_event WHERE context = %s", [context]).fetchone()[0]


def test_a_till_day_through_the_gateway(gateway_deployment):
    gw = gateway_deployment
    manager = gw.token("gw-manager")

    # catalog (its own database): a product with stock
    sku = f"GW-{uuid.uuid4().hex[:6]}"
    product = ok(gw.request("POST", "/api/v1/catalog/products/", token=manager, json={
        "sku": sku, "name": "Gateway coffee", "unit_price": "4.00", "tax_rate": "10"}), 201)
    ok(gw.request("POST", f"/api/v1/catalog/products/{product['id']}/receive-stock/", token=manager,
                  json={"quantity": 10}))
    # customers (default database)
    customer = ok(gw.request("POST", "/api/v1/customers/", token=manager, json={"name": "Ada Gateway"}), 201)
    # sales (its own database): a till, opened by the cashier
    till = register_till_over_api(gw.request, manager, "GW till", "GW1", "Gateway Street")
    cashier = gw.token("gw-cashier", till=till["id"])  # a cashier works at a till: a till-bound token
    session = ok(gw.request("POST", f"/api/v1/sales/tills/{till['id']}/open/", token=cashier,
                            json={"opening_float": "50.00"}), 201)

    # The sale waits for sales' own price list (catalog -> Kafka -> sales consumer) and its
    # directory of customers; until then the server refuses it (422) and stores nothing.
    body = {"till_id": till["id"], "customer_id": customer["id"],
            "lines": [{"product_id": product["id"], "quantity": 3}],
            "payments": [{"method": "cash", "amount": "20.00"}]}

    def sell():
        gw.assert_running()
        response = gw.request("POST", "/api/v1/sales/orders/", token=cashier, json=body,
                              headers={"Idempotency-Key": f"gw-{uuid.uuid4()}"})
        assert response.status in (201, 422), (response.status, response.text)
        return response.json() if response.status == 201 else None

    order = wait_until(sell, timeout=30, interval=0.3, message="sales to accept the sale (price list from Kafka)")
    assert (order["status"], order["total"], order["change"]) == ("completed", "12.00", "8.00"), order

    refund = ok(gw.request("POST", f"/api/v1/sales/orders/{order['id']}/refunds/", token=cashier,
                           json={"lines": [{"line_no": 1, "quantity": 1}], "method": "cash",
                                 "till_id": till["id"]}), 201)
    assert refund["refunded"] == "4.00"
    closed = ok(gw.request("POST", f"/api/v1/sales/tills/{till['id']}/close/", token=cashier,
                           json={"counted": {"cash": "58.00"}}))
    z = closed["z_report"]
    assert z["sales_count"] == 1 and D(z["refunds"]) == D("4.00") and D(z["net"]) == D("8.00"), z

    # catalog's stock followed the sale and the refund (sales events -> Kafka -> catalog consumer)
    seen = {}

    def stock():
        seen.update(ok(gw.request("GET", f"/api/v1/catalog/products/{product['id']}/", token=manager)))
        return seen["on_hand"] == 10 - 3 + 1

    wait_until(stock, timeout=30, interval=0.3, message=f"catalog stock 10 - 3 + 1 (product: {seen})")

    # customers' loyalty points (sales events -> customers consumer)
    def points():
        return ok(gw.request("GET", f"/api/v1/customers/{customer['id']}/", token=manager))["points_balance"] > 0

    wait_until(points, timeout=30, interval=0.3, message="the customer's loyalty points")

    # reporting (its own consumer) has the day and the Z-report
    def daily():
        report = ok(gw.request("GET", "/api/v1/reports/daily-sales/?store=GW1", token=manager))
        rows = [row for row in report["rows"] if row["store_code"] == "GW1"]
        return report if rows and D(str(rows[0]["refunds"])) == D("4.00") else None

    report = wait_until(daily, timeout=30, interval=0.3, message="the daily-sales report with the sale and refund")
    row = next(row for row in report["rows"] if row["store_code"] == "GW1")
    assert D(str(row["total"])) == D("12.00") and D(str(row["net"])) == D("8.00"), report
    def z_report():
        response = gw.request("GET", f"/api/v1/reports/z-reports/{session['id']}/", token=manager)
        return response.json() if response.status == 200 and response.json()["status"] == "closed" else None

    zr = wait_until(z_report, timeout=30, interval=0.3, message="reporting's Z-report of the closed session")
    assert zr["z_report"]["sales_count"] == 1 and zr["reconciled"] is True, zr

    # Each context's events are in its own database, and only there.
    assert count_events(gw, "catalog", "catalog") > 0 and count_events(gw, "default", "catalog") == 0
    assert count_events(gw, "sales", "sales") > 0 and count_events(gw, "default", "sales") == 0
    assert count_events(gw, "default", "customers") > 0

    # The audit deployment archived every event of the three databases, and answers from FerretDB.
    every_event = sum(count_events(gw, alias, context) for alias, context in
                      (("catalog", "catalog"), ("sales", "sales"), ("default", "customers"),
                       ("default", "stores")))  # the till's store

    def archived():
        body = ok(gw.request("GET", "/api/v1/audit/events/?page_size=1", token=manager))
        return body if body["count"] == every_event else None

    assert wait_until(archived, timeout=30, interval=0.3, message="the audit archive to hold every event")["source"] == "archive"
    refunds = ok(gw.request("GET", f"/api/v1/audit/events/?type=OrderRefunded&till={till['id']}", token=manager))
    assert [e["stream_id"] for e in refunds["results"]] == [order["id"]], refunds
    gw.assert_running()


def test_each_process_serves_only_its_contexts_api(gateway_deployment):
    gw = gateway_deployment
    manager = gw.token("gw-manager")
    auth = {"Authorization": f"Bearer {manager}"}
    paths = {"catalog": "/api/v1/catalog/products/", "customers": "/api/v1/customers/",
             "sales": "/api/v1/sales/orders/", "reporting": "/api/v1/reports/daily-sales/"}
    for context, server in gw.apis.items():
        for other, path in paths.items():
            status = http_get(server.url(path), headers=auth).status
            assert status == (200 if other == context else 404), (context, path, status)
        # any process validates the shared tokens (users live in `default`)
        assert http_get(server.url("/api/v1/auth/me/"), headers=auth).status == 200, context


def admin_session(base_url: str):
    """An opener logged in to the Django admin at base_url as the superuser."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base_url}/admin/login/", timeout=10).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": "gw-admin", "password": PASSWORD, "csrfmiddlewaretoken": csrf,
                                   "next": "/admin/"}).encode()
    request = urllib.request.Request(f"{base_url}/admin/login/", data=data,
                                     headers={"Referer": f"{base_url}/admin/login/"})
    with opener.open(request, timeout=10) as response:
        assert response.geturl().endswith("/admin/"), response.geturl()
    return opener


def admin_status(opener, url: str) -> int:
    try:
        with opener.open(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


ADMIN_PAGES = {"catalog": "/admin/catalog/productview/", "customers": "/admin/customers/customerview/",
               "sales": "/admin/sales/orderview/"}


def test_each_process_shows_only_its_contexts_admin(gateway_deployment):
    for context in ("catalog", "sales"):
        server = gateway_deployment.apis[context]
        opener = admin_session(server.base_url)
        index = opener.open(server.url("/admin/"), timeout=10).read().decode()
        for other, page in ADMIN_PAGES.items():
            expected = 200 if other == context else 404
            assert admin_status(opener, server.url(page)) == expected, (context, page)
            assert (f'href="{page}"' in index) == (other == context), (context, page)
