"""The permission matrix (infrastructure/access/matrix.py) against the real URL map: every API
endpoint has a row, every row an endpoint, and every role gets the answer its row says."""

import json
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from infrastructure.access import matrix
from infrastructure.access.endpoints import api_endpoints

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

ENDPOINTS = api_endpoints()
DOCS = Path(settings.BASE_DIR) / "docs" / "security.md"


def test_every_api_endpoint_has_a_row_in_the_matrix():
    served = {e.key for e in ENDPOINTS}
    missing = sorted(served - set(matrix.MATRIX))
    assert not missing, ("API endpoints without a row in infrastructure/access/matrix.py (decide who may use "
                         f"them, then run `python -m infrastructure.access.matrix --write-docs`): {missing}")


def test_every_row_names_a_served_endpoint():
    # Rows of contexts this process does not serve cannot be checked here; the others must exist.
    unserved = {f"/api/v1/{c}/" for c in set(settings.ALL_CONTEXTS) - set(settings.POS_CONTEXTS)}
    rows = {key for key in matrix.MATRIX if not any(prefix in key for prefix in unserved)}
    stale = sorted(rows - {e.key for e in ENDPOINTS})
    assert not stale, f"rows for endpoints that no longer exist: {stale}"


def test_every_row_uses_a_known_policy():
    assert set(matrix.MATRIX.values()) <= set(matrix.POLICIES)
    assert all(set(row) == set(matrix.ROLES) for row in matrix.POLICIES.values())


def test_the_docs_table_is_generated_from_the_matrix():
    text = DOCS.read_text()
    assert matrix.docs_block() in text, "docs/security.md is stale: run `python -m infrastructure.access.matrix --write-docs`"


def _url(endpoint, till_id) -> str:
    path = endpoint.path
    if path.startswith("/api/v1/sales/tills/{pk}"):
        return path.replace("{pk}", str(till_id))
    for name in ("{pk}", "{session_id}", "{username}"):
        path = path.replace(name, str(uuid.uuid4()))
    return path.replace("{code}", "ZZ9")  # a store code that is not registered


def _call(client, endpoint, till_id, ip, headers):
    return client.generic(endpoint.method, _url(endpoint, till_id), data="{}", content_type="application/json",
                          REMOTE_ADDR=ip, HTTP_IDEMPOTENCY_KEY=f"matrix-{uuid.uuid4().hex}", **headers)


def _assert_answer(response, want: str, where: str):
    got = response.status_code
    assert got < 500, f"{where}: {got} {response.content[:300]!r}"
    if want == "ok":
        assert got not in (401, 403), f"{where}: wanted past the permission checks, got {got} {response.content[:300]!r}"
    else:
        assert got == int(want), f"{where}: wanted {want}, got {got} {response.content[:300]!r}"
        assert response["Content-Type"].startswith("application/problem+json"), where
        assert json.loads(response.content)["status"] == got


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.key for e in ENDPOINTS])
def test_each_role_gets_what_the_matrix_says(endpoint, client, role_users, bearer, till_id, fresh_ip):
    if endpoint.key not in matrix.MATRIX:
        pytest.fail(f"{endpoint.key} has no row in the permission matrix")
    want = matrix.expected(endpoint.key)
    for role in matrix.ROLES:
        if role == "anonymous":
            headers = {}
        else:
            # A cashier works at a till: its token is bound to the till the URLs name.
            headers = bearer(role_users[role], till=till_id if role == "cashier" else None)
        response = _call(client, endpoint, till_id, fresh_ip(), headers)
        _assert_answer(response, want[role], f"{endpoint.key} as {role}")


TILL_ENDPOINTS = [e for e in ENDPOINTS if matrix.MATRIX.get(e.key) == "till"]


@pytest.mark.parametrize("endpoint", TILL_ENDPOINTS, ids=[e.key for e in TILL_ENDPOINTS])
def test_a_cashier_without_a_till_bound_token_cannot_write_sales(endpoint, client, role_users, bearer, till_id,
                                                                 fresh_ip):
    response = _call(client, endpoint, till_id, fresh_ip(), bearer(role_users["cashier"]))

    _assert_answer(response, "403", f"{endpoint.key} as cashier without a till")
    assert "till-token-required" in json.loads(response.content)["type"]


# Valid-looking bodies that name a till: they pass input validation, so the till is what decides.
def _naming(other_till):
    product = str(uuid.uuid4())
    return {
        "POST /api/v1/sales/orders/": {"till_id": other_till, "lines": [{"product_id": product, "quantity": 1}]},
        "POST /api/v1/sales/orders/{pk}/payments/": {"till_id": other_till,
                                                     "payments": [{"method": "cash", "amount": "1.00"}]},
        "POST /api/v1/sales/orders/{pk}/refunds/": {"till_id": other_till, "lines": [{"line_no": 1, "quantity": 1}]},
    }


# Ship, cancel and void name no till: for them only the till-token requirement applies (test above);
# a void happens at the sale's own till, which the handler compares with the token's
# (tests/sales/test_api_every_sale_ends.py).
TILL_NAMING_ENDPOINTS = [e for e in TILL_ENDPOINTS
                         if e.path.startswith("/api/v1/sales/tills/{pk}") or e.key in _naming("x")]


def test_only_ship_cancel_and_void_name_no_till():
    assert sorted(e.key for e in TILL_ENDPOINTS if e not in TILL_NAMING_ENDPOINTS) == [
        "POST /api/v1/sales/orders/{pk}/cancel/", "POST /api/v1/sales/orders/{pk}/ship/",
        "POST /api/v1/sales/orders/{pk}/void/"]


@pytest.mark.parametrize("endpoint", TILL_NAMING_ENDPOINTS, ids=[e.key for e in TILL_NAMING_ENDPOINTS])
def test_a_till_bound_token_cannot_act_on_another_till(endpoint, client, role_users, bearer, till_id, fresh_ip):
    other_till = str(uuid.uuid4())
    if endpoint.path.startswith("/api/v1/sales/tills/{pk}"):
        body = {}
        url = endpoint.path.replace("{pk}", other_till)  # the token is bound to till_id
    elif endpoint.key in _naming(other_till):
        body = _naming(other_till)[endpoint.key]
        url = endpoint.path.replace("{pk}", str(uuid.uuid4()))
    else:
        raise AssertionError(f"{endpoint.key} names no till")
    for role in ("cashier", "manager"):  # a manager who logged in at a till is bound like anyone else
        response = client.generic(endpoint.method, url, data=json.dumps(body), content_type="application/json",
                                  REMOTE_ADDR=fresh_ip(), HTTP_IDEMPOTENCY_KEY=f"m-{uuid.uuid4().hex}",
                                  **bearer(role_users[role], till=till_id))
        _assert_answer(response, "403", f"{endpoint.key} as {role} bound to another till")
        assert "till-mismatch" in json.loads(response.content)["type"]
