"""Hostile input to every write endpoint: oversized bodies (413), malformed or pathological JSON
(400), out-of-range numbers and over-long strings (400/422) — always RFC 9457 problem details,
never a 500, and nothing stored."""

import json
import uuid

import pytest
from django.conf import settings

from infrastructure.access.endpoints import api_endpoints
from infrastructure.eventstore.models import StoredEvent
from infrastructure.http.problem_types import PROBLEM_TYPES
from tests.helpers.delivery import embedded_delivery  # noqa: F401
from tests.sales.support import make_product, make_till

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

WRITES = [e for e in api_endpoints() if e.method != "GET"]
PROBLEM = "application/problem+json"


def _url(endpoint) -> str:
    return endpoint.path.replace("{pk}", str(uuid.uuid4())).replace("{session_id}", str(uuid.uuid4()))


def _events() -> int:
    return StoredEvent.objects.count()


def _assert_problem(response, statuses, where):
    assert response.status_code in statuses, f"{where}: {response.status_code} {response.content[:300]!r}"
    assert response["Content-Type"].startswith(PROBLEM), f"{where}: {response['Content-Type']}"
    body = json.loads(response.content)
    assert body["status"] == response.status_code and body["detail"]
    name = body["type"].rstrip("/").rsplit("/", 1)[-1]
    assert name in PROBLEM_TYPES, f"{where}: type {body['type']} has no page"
    return body


def _oversized() -> str:
    return json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})


HOSTILE = {
    "oversized": (_oversized, {413}),
    "malformed": (lambda: '{"name": "x", ', {400}),
    "deeply-nested": (lambda: "[" * 100_000 + "]" * 100_000, {400, 413}),
    "nested-objects": (lambda: '{"a":' * 1000 + "1" + "}" * 1000, {400}),
    "lone-surrogate": (lambda: '{"name": "\\ud800", "reason": "\\udfff", "sku": "\\ud800"}', {400}),
    "huge-integer": (lambda: '{"quantity": ' + "9" * 5000 + "}", {400}),
    "not-an-object": (lambda: '"just a string"', {400}),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("endpoint", WRITES, ids=[e.key for e in WRITES])
def test_hostile_bodies_are_4xx_problem_details_and_store_nothing(endpoint, case, client, manager_user, bearer,
                                                                   fresh_ip):
    make_body, statuses = HOSTILE[case]
    before = _events()

    response = client.generic(endpoint.method, _url(endpoint), data=make_body(), content_type="application/json",
                              REMOTE_ADDR=fresh_ip(), HTTP_IDEMPOTENCY_KEY=f"h-{uuid.uuid4().hex}",
                              **bearer(manager_user))

    # Endpoints that read no body answer about the (unknown) resource instead: still a 4xx problem.
    _assert_problem(response, statuses | {404, 409, 422}, f"{endpoint.key} {case}")
    if case == "oversized":
        assert response.status_code == 413
    assert _events() == before


def test_an_oversized_body_is_413_before_authentication(client, fresh_ip):
    response = client.post("/api/v1/auth/token/", data=_oversized(), content_type="application/json",
                           REMOTE_ADDR=fresh_ip())

    assert "larger than" in _assert_problem(response, {413}, "token")["detail"]


def test_an_oversized_admin_form_is_413(client, fresh_ip):
    response = client.post("/admin/login/", data={"username": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)},
                           REMOTE_ADDR=fresh_ip())

    assert response.status_code == 413


def test_a_nonsense_content_length_is_400(client, fresh_ip):
    response = client.post("/api/v1/auth/token/", data="{}", content_type="application/json", REMOTE_ADDR=fresh_ip(),
                           CONTENT_LENGTH="lots")

    _assert_problem(response, {400}, "content-length")


# --- field limits: each case is a body that passes JSON parsing but breaks a bound -------------------
@pytest.fixture
def world(embedded_delivery):
    return {"product": make_product("LIM", "1.00", stock=5), "till": make_till()}


def _cases(w):
    product, till = str(w["product"]), str(w["till"])
    line = {"product_id": product, "quantity": 1}
    ship_to = {"name": "A", "address": "B", "city": "C", "postal_code": "1", "country": "NL"}
    return {
        "category-name-long": ("post", "/api/v1/catalog/categories/", {"name": "x" * 101}),
        "category-name-nul": ("post", "/api/v1/catalog/categories/", {"name": "a\x00b"}),
        "product-price-huge": ("post", "/api/v1/catalog/products/",
                               {"sku": "A1", "name": "A", "unit_price": "1e30", "tax_rate": "20"}),
        "product-price-nan": ("post", "/api/v1/catalog/products/",
                              {"sku": "A1", "name": "A", "unit_price": "NaN", "tax_rate": "20"}),
        "product-tax-infinite": ("post", "/api/v1/catalog/products/",
                                 {"sku": "A1", "name": "A", "unit_price": "1.00", "tax_rate": "Infinity"}),
        "product-threshold-huge": ("post", "/api/v1/catalog/products/",
                                   {"sku": "A1", "name": "A", "unit_price": "1.00", "tax_rate": "20",
                                    "low_stock_threshold": 10**30}),
        "receive-stock-huge": ("post", f"/api/v1/catalog/products/{product}/receive-stock/", {"quantity": 10**12}),
        "receive-stock-negative": ("post", f"/api/v1/catalog/products/{product}/receive-stock/", {"quantity": -1}),
        "adjust-reason-long": ("post", f"/api/v1/catalog/products/{product}/adjust-stock/",
                               {"counted_quantity": 1, "reason": "r" * 201}),
        "customer-name-huge": ("post", "/api/v1/customers/", {"name": "n" * 100_000}),
        "customer-email-huge": ("post", "/api/v1/customers/", {"name": "N", "email": "e" * 5000 + "@x.org"}),
        "customer-address-huge": ("post", "/api/v1/customers/",
                                  {"name": "N", "address": {"line1": "l" * 5000, "city": "c", "country": "NL"}}),
        "till-name-long": ("post", "/api/v1/sales/tills/", {"name": "t" * 61, "store_code": "S1", "store_name": "x"}),
        "open-float-huge": ("post", f"/api/v1/sales/tills/{till}/open/", {"opening_float": "1e15"}),
        "open-float-negative": ("post", f"/api/v1/sales/tills/{till}/open/", {"opening_float": "-1"}),
        "cash-movement-huge": ("post", f"/api/v1/sales/tills/{till}/cash-movements/",
                               {"amount": "99999999999", "reason": "x"}),
        "order-too-many-lines": ("post", "/api/v1/sales/orders/", {"till_id": till, "lines": [line] * 201}),
        "order-quantity-huge": ("post", "/api/v1/sales/orders/",
                                {"till_id": till, "lines": [{"product_id": product, "quantity": 10**20}]}),
        "order-discount-infinite": ("post", "/api/v1/sales/orders/",
                                    {"till_id": till, "lines": [{**line, "discount_percent": "Infinity"}]}),
        "order-too-many-payments": ("post", "/api/v1/sales/orders/",
                                    {"till_id": till, "lines": [line],
                                     "payments": [{"method": "cash", "amount": "1.00"}] * 11}),
        "order-payment-huge": ("post", "/api/v1/sales/orders/",
                               {"till_id": till, "lines": [line], "payments": [{"method": "cash", "amount": "1e20"}]}),
        "order-placed-at-garbage": ("post", "/api/v1/sales/orders/",
                                    {"till_id": till, "lines": [line], "placed_at": "yesterday-ish"}),
        "delivery-ship-to-long": ("post", "/api/v1/sales/orders/",
                                  {"kind": "delivery", "store_code": "S1", "lines": [line],
                                   "ship_to": {**ship_to, "address": "a" * 301}}),
        "refund-line-no-huge": ("post", f"/api/v1/sales/orders/{uuid.uuid4()}/refunds/",
                                {"lines": [{"line_no": 10**9, "quantity": 1}]}),
        "refund-reason-long": ("post", f"/api/v1/sales/orders/{uuid.uuid4()}/refunds/",
                               {"lines": [{"line_no": 1, "quantity": 1}], "reason": "r" * 201}),
        "lines-not-a-list": ("post", "/api/v1/sales/orders/", {"till_id": till, "lines": "everything"}),
        "emoji-and-rtl-ok-shape-but-too-long": ("post", "/api/v1/catalog/categories/", {"name": "☕\u202e" * 51}),
    }


CASE_NAMES = sorted(_cases({"product": uuid.uuid4(), "till": uuid.uuid4()}))


@pytest.mark.parametrize("case", CASE_NAMES)
def test_out_of_range_input_is_a_4xx_naming_the_field_and_stores_nothing(case, world, client, manager_user, bearer,
                                                                         fresh_ip):
    method, url, body = _cases(world)[case]
    before = _events()

    response = client.generic(method.upper(), url, data=json.dumps(body), content_type="application/json",
                              REMOTE_ADDR=fresh_ip(), HTTP_IDEMPOTENCY_KEY=f"l-{uuid.uuid4().hex}",
                              **bearer(manager_user))

    problem = _assert_problem(response, {400, 422}, case)
    assert problem.get("errors"), problem
    assert _events() == before


def test_unicode_within_limits_is_accepted(world, client, manager_user, bearer, fresh_ip):
    response = client.post("/api/v1/catalog/categories/", data=json.dumps({"name": "Café ☕ 咖啡 \u202eabc"}),
                           content_type="application/json", REMOTE_ADDR=fresh_ip(), **bearer(manager_user))

    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Café ☕ 咖啡 \u202eabc"


# --- search -------------------------------------------------------------------------------------
SEARCHED_LISTS = ["/api/v1/catalog/products/", "/api/v1/catalog/categories/", "/api/v1/customers/",
                  "/api/v1/sales/orders/", "/api/v1/sales/tills/"]


@pytest.mark.parametrize("path", SEARCHED_LISTS)
def test_a_search_of_thousands_of_words_is_a_400_naming_search(path, client, manager_user, bearer, fresh_ip):
    """2,000 words made SQLite refuse the query ("Expression tree is too large": a 503 'database
    unavailable') and PostgreSQL spend seconds of CPU on it."""
    from infrastructure.http.filters import MAX_SEARCH_TERMS

    auth = {**bearer(manager_user), "REMOTE_ADDR": fresh_ip()}
    huge = client.get(path, {"search": " ".join(["a"] * 2000)}, **auth)
    body = _assert_problem(huge, {400}, path)
    assert body["errors"][0]["field"] == "search"
    assert client.get(path, {"search": " ".join(["a"] * MAX_SEARCH_TERMS)}, **auth).status_code == 200
    assert _assert_problem(client.get(path, {"search": "a" * 101}, **auth), {400}, path)


def test_a_failed_query_is_not_called_a_database_outage():
    """SQLite raises OperationalError for a query it refuses as for a locked database; only the
    second is an outage (503, retry). The first is a bug: a logged 500."""
    import sqlite3

    from django.db import OperationalError
    from rest_framework.test import APIRequestFactory

    from infrastructure.http.problems import database_unavailable, problem_exception_handler

    def wrapped(cause):
        error = OperationalError(str(cause))
        error.__cause__ = cause
        return error

    refused = wrapped(sqlite3.OperationalError("Expression tree is too large (maximum depth 1000)"))
    locked = wrapped(sqlite3.OperationalError("database is locked"))
    assert not database_unavailable(refused) and database_unavailable(locked)
    request = APIRequestFactory().get("/api/v1/catalog/products/")
    assert problem_exception_handler(refused, {"request": request}).status_code == 500
    assert problem_exception_handler(locked, {"request": request}).status_code == 503
