"""Bad input through the API, on the write endpoints of all four contexts' write sides (catalog,
customers, sales) and auth: numbers JSON can spell but money and stock cannot hold (1e400, 10**30,
50-place decimals), zero and negative quantities, wrong types, and hostile text (NUL, lone
surrogates, 10k characters). Each is a 4xx problem-details answer that says what is wrong, and
*nothing* is stored: no event, no outbox row, no read-model row, no idempotency record, no token.

Extends tests/security/test_input_limits.py (hostile bodies on every endpoint, field caps) with
these value classes and with the outbox and read-model side of "nothing stored". Real commits
(embedded delivery), so a read model that a stray event would fill is really filled.
"""

import json
import uuid
from decimal import Decimal

import pytest

from tests.helpers.delivery import embedded_delivery  # noqa: F401
from tests.helpers.throttling import clear_throttle_state, random_client_ip

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROBLEM = "application/problem+json"
STORED_APPS = ("infrastructure", "catalog", "customers", "sales", "reporting", "token_blacklist")
HUGE = 10**30
LONG_DECIMAL = "1." + "1" * 50
NAME_10K = "n" * 10_000


def _oversized(field: str) -> str:
    """A body just over the request limit (256 KB): refused (413) before anything parses it."""
    from django.conf import settings

    return json.dumps({field: "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})


def _stored() -> dict[str, int]:
    """Row counts of every table a write could touch: events, outbox, inbox, idempotency, read models, tokens."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    counts = {model._meta.db_table: model.objects.count()
              for label in STORED_APPS for model in apps.get_app_config(label).get_models()}
    counts["users"] = get_user_model().objects.count()
    return counts


@pytest.fixture
def world(embedded_delivery, manager_user):
    from contexts.sales import commands as sal
    from infrastructure.commands.bus import execute
    from tests.customers.support import make_customer
    from tests.sales.support import META, make_product, make_till

    product = make_product("BAD1", "2.50", stock=10)
    till = make_till()
    execute(sal.OpenTillSession(session_id=uuid.uuid4(), till_id=till, cashier=manager_user.username,
                                opening_float=Decimal("50.00")), META)
    order = execute(sal.PlaceTillSale(
        order_id=uuid.uuid4(), till_id=till, cashier=manager_user.username,
        lines=(sal.LineRequest(product_id=product, quantity=2, discount_percent=Decimal("0")),),
        payments=(sal.PaymentRequest(method="cash", amount=Decimal("5.00")),), customer_id=None, placed_at=None,
        max_discount_percent=Decimal("100")), META)["id"]
    return {"product": str(product), "till": str(till), "order": order, "customer": str(make_customer("Bad Input")),
            "manager": manager_user}


def _send(client, method, url, body, *, user=None, idempotency_key=None):
    """`body`: a str is sent as is (raw JSON text), anything else as JSON."""
    from rest_framework_simplejwt.tokens import AccessToken

    ip = random_client_ip()
    extra = {"REMOTE_ADDR": ip}
    if user is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {AccessToken.for_user(user)}"
    if idempotency_key:
        extra["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
    data = body if isinstance(body, str) else json.dumps(body)
    try:
        return client.generic(method, url, data=data, content_type="application/json", **extra)
    finally:
        clear_throttle_state(ip)


def _check(client, cases, world, *, user=None):
    """Every case: a 4xx problem whose errors name `field` (when given), and no table changed."""
    failures = []
    for name, (method, url, body, statuses, field) in cases.items():
        before = _stored()
        response = _send(client, method, url, body, user=user, idempotency_key=f"bad-{uuid.uuid4().hex}")
        where = f"{name}: {method} {url} -> {response.status_code} {response.content[:300]!r}"
        if response.status_code not in statuses or not response["Content-Type"].startswith(PROBLEM):
            failures.append(where)
            continue
        problem = json.loads(response.content)
        fields = [error["field"] for error in problem.get("errors", [])]
        if problem["status"] != response.status_code or not problem["detail"] or (field and field not in fields):
            failures.append(f"{where} (fields {fields})")
        changed = {table: (count, after) for (table, count), after in zip(before.items(), _stored().values())
                   if count != after}
        if changed:
            failures.append(f"{name}: stored something: {changed}")
    assert not failures, "\n".join(failures)


def _assert_a_valid_write_is_stored(client, method, url, body, user):
    """The control: the same endpoint with good input does store (so "nothing stored" can fail)."""
    before = _stored()
    response = _send(client, method, url, body, user=user, idempotency_key=f"good-{uuid.uuid4().hex}")
    assert response.status_code in (200, 201), response.content
    after = _stored()
    assert after["es_event"] > before["es_event"] and after["es_outbox"] > before["es_outbox"]
    return before, after


def test_catalog_writes_refuse_bad_numbers_and_text(client, world):
    product = f"/api/v1/catalog/products/{world['product']}"
    new = {"sku": "OK1", "name": "Fine", "unit_price": "1.00", "tax_rate": "20"}
    cases = {
        "price-1e400-number": ("POST", "/api/v1/catalog/products/", '{"sku": "A1", "name": "A", "unit_price": 1e400, '
                                                                     '"tax_rate": "20"}', {400}, "unit_price"),
        "price-10e30": ("POST", "/api/v1/catalog/products/", {**new, "unit_price": HUGE}, {400}, "unit_price"),
        "price-long-decimal": ("POST", "/api/v1/catalog/products/", {**new, "unit_price": LONG_DECIMAL}, {400},
                               "unit_price"),
        "price-negative": ("POST", "/api/v1/catalog/products/", {**new, "unit_price": "-1.00"}, {400, 422},
                           "unit_price"),
        "price-zero": ("POST", "/api/v1/catalog/products/", {**new, "unit_price": "0"}, {400, 422}, "unit_price"),
        "price-as-list": ("POST", "/api/v1/catalog/products/", {**new, "unit_price": ["1"]}, {400}, "unit_price"),
        "tax-negative": ("POST", "/api/v1/catalog/products/", {**new, "tax_rate": "-5"}, {400, 422}, "tax_rate"),
        "name-10k": ("POST", "/api/v1/catalog/products/", {**new, "name": NAME_10K}, {400}, "name"),
        "name-nul": ("POST", "/api/v1/catalog/products/", {**new, "name": "Fi\x00ne"}, {400}, "name"),
        "sku-as-object": ("POST", "/api/v1/catalog/products/", {**new, "sku": {"a": 1}}, {400}, "sku"),
        "price-change-1e400": ("POST", f"{product}/change-price/", '{"unit_price": 1e400}', {400}, "unit_price"),
        "price-change-negative": ("POST", f"{product}/change-price/", {"unit_price": "-0.01"}, {400, 422},
                                  "unit_price"),
        "receive-zero": ("POST", f"{product}/receive-stock/", {"quantity": 0}, {400}, "quantity"),
        "receive-10e30": ("POST", f"{product}/receive-stock/", {"quantity": HUGE}, {400}, "quantity"),
        "receive-1e400": ("POST", f"{product}/receive-stock/", '{"quantity": 1e400}', {400}, "quantity"),
        "receive-fraction": ("POST", f"{product}/receive-stock/", {"quantity": 1.5}, {400}, "quantity"),
        "receive-as-text": ("POST", f"{product}/receive-stock/", {"quantity": "ten"}, {400}, "quantity"),
        "adjust-negative": ("POST", f"{product}/adjust-stock/", {"counted_quantity": -3, "reason": "count"}, {400},
                            "counted_quantity"),
        "adjust-reason-nul": ("POST", f"{product}/adjust-stock/", {"counted_quantity": 3, "reason": "\x00"}, {400},
                              "reason"),
        "update-threshold-negative": ("PATCH", f"{product}/", {"low_stock_threshold": -1}, {400},
                                      "low_stock_threshold"),
        "update-name-10k-emoji": ("PATCH", f"{product}/", {"name": "☕" * 10_000}, {400}, "name"),
        "oversized": ("POST", "/api/v1/catalog/products/", _oversized("name"), {413}, None),
        "category-name-rtl-10k": ("POST", "/api/v1/catalog/categories/", {"name": "\u202e" * 10_000}, {400}, "name"),
    }
    _check(client, cases, world, user=world["manager"])
    _assert_a_valid_write_is_stored(client, "POST", "/api/v1/catalog/products/", new, world["manager"])


def test_customer_writes_refuse_bad_text_and_types(client, world):
    customer = f"/api/v1/customers/{world['customer']}/"
    cases = {
        "name-nul": ("POST", "/api/v1/customers/", {"name": "Ann\x00"}, {400}, "name"),
        "name-10k": ("POST", "/api/v1/customers/", {"name": NAME_10K}, {400, 422}, "name"),
        "name-lone-surrogate": ("POST", "/api/v1/customers/", '{"name": "Ann \\udc00"}', {400}, None),
        "name-as-number": ("POST", "/api/v1/customers/", {"name": {"first": "Ann"}}, {400}, "name"),
        "phone-1e400": ("POST", "/api/v1/customers/", '{"name": "Ann", "phone": 1e400}', {400, 422}, "phone"),
        "phone-emoji": ("POST", "/api/v1/customers/", {"name": "Ann", "phone": "📞📞📞📞📞📞📞"}, {422}, "phone"),
        "email-rtl": ("POST", "/api/v1/customers/", {"name": "Ann", "email": "\u202eann@example.org"}, {422},
                      "email"),
        "address-as-string": ("POST", "/api/v1/customers/", {"name": "Ann", "address": "Main St 1"}, {400},
                              "address"),
        "address-line-nul": ("POST", "/api/v1/customers/",
                             {"name": "Ann", "address": {"line1": "A\x00", "city": "B", "country": "NL"}}, {400},
                             "address.line1"),
        "put-name-10k": ("PUT", customer, {"name": NAME_10K}, {400, 422}, "name"),
        "patch-email-nul": ("PATCH", customer, {"email": "a\x00@example.org"}, {400}, "email"),
        "malformed": ("POST", "/api/v1/customers/", '{"name": "Ann",', {400}, None),
        "oversized": ("POST", "/api/v1/customers/", _oversized("name"), {413}, None),
        "top-level-list": ("POST", "/api/v1/customers/", '[{"name": "Ann"}]', {400}, None),
    }
    _check(client, cases, world, user=world["manager"])
    _assert_a_valid_write_is_stored(client, "POST", "/api/v1/customers/", {"name": "Ann Good"}, world["manager"])


def test_sales_writes_refuse_bad_quantities_money_and_text(client, world):
    till, product, order = world["till"], world["product"], world["order"]
    tills, orders = f"/api/v1/sales/tills/{till}", "/api/v1/sales/orders/"

    def sale(quantity=1, payments=(), **extra):
        return {"till_id": till, "lines": [{"product_id": product, "quantity": quantity}], "payments": list(payments),
                **extra}

    refund = f"{orders}{order}/refunds/"
    cases = {
        "sale-quantity-zero": ("POST", orders, sale(0), {400}, "lines.0.quantity"),
        "sale-quantity-negative": ("POST", orders, sale(-2), {400}, "lines.0.quantity"),
        "sale-quantity-10e30": ("POST", orders, sale(HUGE), {400}, "lines.0.quantity"),
        "sale-quantity-1e400": ("POST", orders, json.dumps(sale()).replace('"quantity": 1', '"quantity": 1e400'),
                                {400}, "lines.0.quantity"),
        "sale-quantity-as-text": ("POST", orders, sale("two"), {400}, "lines.0.quantity"),
        "sale-payment-zero": ("POST", orders, sale(payments=[{"method": "cash", "amount": "0"}]), {400},
                              "payments.0.amount"),
        "sale-payment-negative": ("POST", orders, sale(payments=[{"method": "card", "amount": "-5.00"}]), {400},
                                  "payments.0.amount"),
        "sale-payment-long-decimal": ("POST", orders, sale(payments=[{"method": "cash", "amount": LONG_DECIMAL}]),
                                      {400}, "payments.0.amount"),
        "sale-payment-10e30-number": ("POST", orders, sale(payments=[{"method": "cash", "amount": HUGE}]), {400},
                                      "payments.0.amount"),
        "sale-discount-negative": ("POST", orders,
                                   {"till_id": till, "lines": [{"product_id": product, "quantity": 1,
                                                                "discount_percent": "-10"}]}, {400},
                                   "lines.0.discount_percent"),
        "sale-product-not-an-id": ("POST", orders, {"till_id": till, "lines": [{"product_id": "☕", "quantity": 1}]},
                                   {400}, "lines.0.product_id"),
        "sale-till-nul": ("POST", orders, sale(till_id="\x00"), {400}, "till_id"),
        "sale-lines-as-object": ("POST", orders, {"till_id": till, "lines": {"0": {"product_id": product}}}, {400},
                                 "lines"),
        "sale-placed-at-year-0": ("POST", orders, sale(placed_at="0000-01-01T00:00:00Z"), {400}, "placed_at"),
        "sale-placed-at-offset-out-of-range": ("POST", orders, sale(placed_at="0001-01-01T00:00:00+05:00"), {400},
                                               "placed_at"),
        "refund-quantity-zero": ("POST", refund, {"lines": [{"line_no": 1, "quantity": 0}]}, {400},
                                 "lines.0.quantity"),
        "refund-quantity-negative": ("POST", refund, {"lines": [{"line_no": 1, "quantity": -1}]}, {400},
                                     "lines.0.quantity"),
        "refund-more-than-sold": ("POST", refund, {"lines": [{"line_no": 1, "quantity": 3}]}, {409, 422}, None),
        "refund-quantity-10e30": ("POST", refund, {"lines": [{"line_no": 1, "quantity": HUGE}]}, {400},
                                  "lines.0.quantity"),
        "refund-reason-nul": ("POST", refund, {"lines": [{"line_no": 1, "quantity": 1}], "reason": "\x00"}, {400},
                              "reason"),
        "payment-negative": ("POST", f"{orders}{order}/payments/",
                             {"payments": [{"method": "cash", "amount": "-1"}]}, {400}, "payments.0.amount"),
        "till-name-nul": ("POST", "/api/v1/sales/tills/", {"name": "T\x00", "store_code": "S1", "store_name": "x"},
                          {400}, "name"),
        "till-store-emoji-10k": ("POST", "/api/v1/sales/tills/",
                                 {"name": "T", "store_code": "S1", "store_name": "🛒" * 10_000}, {400}, "store_name"),
        "session-open-twice": ("POST", f"{tills}/open/", {"opening_float": "10.00"}, {409, 422}, None),
        "session-float-1e400": ("POST", f"{tills}/open/", '{"opening_float": 1e400}', {400}, "opening_float"),
        "session-float-long-decimal": ("POST", f"{tills}/open/", {"opening_float": LONG_DECIMAL}, {400},
                                       "opening_float"),
        "cash-movement-10e30": ("POST", f"{tills}/cash-movements/", {"amount": HUGE, "reason": "x"}, {400},
                                "amount"),
        "cash-movement-reason-10k": ("POST", f"{tills}/cash-movements/", {"amount": "1.00", "reason": NAME_10K},
                                     {400}, "reason"),
        "close-counted-negative": ("POST", f"{tills}/close/", {"counted": {"cash": "-1.00"}}, {400},
                                   "counted.cash"),
        "sale-oversized": ("POST", orders, _oversized("till_id"), {413}, None),
        "refund-oversized": ("POST", refund, _oversized("reason"), {413}, None),
        "close-counted-as-number-list": ("POST", f"{tills}/close/", {"counted": [1, 2]}, {400}, "counted"),
    }
    _check(client, cases, world, user=world["manager"])
    _assert_a_valid_write_is_stored(client, "POST", orders, sale(2, [{"method": "cash", "amount": "5.00"}]),
                                    world["manager"])


def test_an_idempotency_key_that_is_not_a_key_is_refused_and_stores_nothing(client, world):
    body = {"till_id": world["till"], "lines": [{"product_id": world["product"], "quantity": 1}]}
    failures = []
    for name, key in {"nul": "abcdefgh\x00", "rtl": "\u202eabcdefgh", "emoji": "🔑" * 10, "10k": "k" * 10_000}.items():
        before = _stored()
        response = _send(client, "POST", "/api/v1/sales/orders/", body, user=world["manager"], idempotency_key=key)
        if response.status_code != 400 or "Idempotency-Key" not in [e["field"] for e in response.json()["errors"]]:
            failures.append(f"{name}: {response.status_code} {response.content[:200]!r}")
        if _stored() != before:
            failures.append(f"{name}: stored something")
    assert not failures, "\n".join(failures)


def test_auth_endpoints_refuse_bad_input_and_issue_no_token(client, world):
    manager = world["manager"]
    cases = {
        "username-as-list": ("POST", "/api/v1/auth/token/", {"username": [manager.username], "password": "x"},
                             {400}, "username"),
        "username-nul": ("POST", "/api/v1/auth/token/", {"username": "test-manager\x00", "password": "x"}, {400, 401},
                         None),
        "username-10k": ("POST", "/api/v1/auth/token/", {"username": NAME_10K, "password": "x"}, {400, 401}, None),
        "password-lone-surrogate": ("POST", "/api/v1/auth/token/",
                                    '{"username": "test-manager", "password": "\\ud83d"}', {400}, None),
        "till-not-an-id": ("POST", "/api/v1/auth/token/",
                           {"username": manager.username, "password": manager.plain_password, "till_id": "☕"}, {400},
                           "till_id"),
        "till-1e400": ("POST", "/api/v1/auth/token/",
                       json.dumps({"username": manager.username, "password": manager.plain_password})[:-1]
                       + ', "till_id": 1e400}', {400}, "till_id"),
        "refresh-garbage": ("POST", "/api/v1/auth/token/refresh/", {"refresh": "\u202e" + "x" * 5000}, {401}, None),
        "refresh-as-number": ("POST", "/api/v1/auth/token/refresh/", '{"refresh": 1e400}', {400, 401}, None),
        "malformed": ("POST", "/api/v1/auth/token/", '{"username": ', {400}, None),
        "oversized": ("POST", "/api/v1/auth/token/", _oversized("password"), {413}, None),
    }
    _check(client, cases, world)
    logout = {"logout-refresh-10k": ("POST", "/api/v1/auth/logout/", {"refresh": NAME_10K}, {400}, "refresh"),
              "logout-refresh-nul": ("POST", "/api/v1/auth/logout/", {"refresh": "\x00"}, {400}, "refresh")}
    _check(client, logout, world, user=manager)
    # The control: good credentials do record an (outstanding) token.
    before = _stored()
    good = _send(client, "POST", "/api/v1/auth/token/",
                 {"username": manager.username, "password": manager.plain_password, "till_id": world["till"]})
    assert good.status_code == 200, good.content
    assert _stored()["token_blacklist_outstandingtoken"] > before["token_blacklist_outstandingtoken"]


def test_query_strings_with_nul_and_odd_text_are_answered_not_500(client, world):
    """Reads store nothing, but NUL in a filter reaches the SQL driver (which refuses it) unless stopped."""
    failures = []
    for url in ("/api/v1/catalog/products/?search=%00", "/api/v1/catalog/categories/?search=a%00b",
                "/api/v1/sales/orders/?cashier=%00", "/api/v1/sales/orders/?search=%00",
                "/api/v1/sales/tills/?store_code=%00", "/api/v1/sales/sessions/?cashier=%00",
                "/api/v1/customers/?search=%00", "/api/v1/catalog/products/lookup/?code=%00",
                "/api/v1/catalog/products/?ordering=%00", "/api/v1/reports/daily-sales/?store=%00",
                "/api/v1/sales/orders/?placed_after=2026-01-01T00:00:00%2B23:59"):
        response = _send(client, "GET", url, "", user=world["manager"])
        if response.status_code >= 500 or (response.status_code >= 400 and
                                            not response["Content-Type"].startswith(PROBLEM)):
            failures.append(f"{url}: {response.status_code} {response.content[:200]!r}")
    assert not failures, "\n".join(failures)
