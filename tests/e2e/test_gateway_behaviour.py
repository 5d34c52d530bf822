"""Issue #7: the API gateway (deploy/nginx/gateway.conf, run by the real nginx) in front of the real
per-context deployment (tests/helpers/deployment.py): routing per context and for auth, rate
limiting per client with a 429 problem, an unavailable upstream answered at once with a 503
problem, a hung upstream cut off by the gateway's timeout with a 504 problem, and request ids
passed through to the application, which logs them.
"""

import os
import re
import signal
import time
import uuid

import pytest

from tests.helpers.deployment import gateway_deployment  # noqa: F401  (the shared fixture)
from tests.helpers.net import http_request
from tests.helpers.problem_types import registered_problem_name
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"
# Each API path, the context whose gunicorn must answer it, and what that answer is for a manager.
ROUTES = {
    "/api/v1/catalog/products/": "catalog",
    "/api/v1/customers/": "customers",
    "/api/v1/sales/orders/": "sales",
    "/api/v1/reports/daily-sales/": "reporting",
}


def assert_gateway_problem(response, status: int) -> dict:
    assert response.status == status, (response.status, response.text)
    assert response.content_type == PROBLEM, response.content_type
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    registered_problem_name(body["type"])
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def app_logged(server, request_id: str, text: str) -> bool:
    """The application in `server` logged a line for request `request_id` containing `text`
    (settings.LOGGING's format puts the current request id in brackets)."""
    return any(f"[{request_id}]" in line and text in line for line in server.log_text().splitlines())


def gateway_log_line(deployment, request_id: str) -> str:
    """The gateway's access log line of the request with this id (it names the upstream it used)."""
    return wait_until(lambda: next((line for line in deployment.gateway.log_text().splitlines()
                                    if f"rid={request_id} " in line), None),
                      timeout=10, message=f"the gateway's access log line of request {request_id}")


def test_routes_each_context_to_its_own_deployment_and_auth_anywhere(gateway_deployment):
    gw = gateway_deployment
    token = gw.token("gw-manager")  # /api/v1/auth/ through the gateway
    for path, context in ROUTES.items():
        request_id = f"route-{context}-{uuid.uuid4().hex[:8]}"
        response = gw.request("GET", path, token=token, headers={"X-Request-ID": request_id})
        assert response.status == 200, (path, response.status, response.text[:500])
        assert response.headers["X-Request-ID"] == request_id
        # answered by that context's own gunicorn (the gateway logs the upstream address it used)
        line = gateway_log_line(gw, request_id)
        assert f"upstream=127.0.0.1:{gw.apis[context].port} " in line, (path, context, line)
        wait_until(lambda: app_logged(gw.apis[context], request_id, f'"GET {path}" 200'), timeout=10,
                   message=f"the {context} API to log request {request_id}")
    me = gw.request("GET", "/api/v1/auth/me/", token=token, headers={"X-Request-ID": "route-auth-me"})
    assert me.status == 200 and me.json()["username"] == "gw-manager", me.text
    assert f"upstream=127.0.0.1:{gw.apis['sales'].port} " in gateway_log_line(gw, "route-auth-me")
    refresh = gw.request("POST", "/api/v1/auth/token/", json={"username": "gw-manager", "password": "wrong"})
    assert refresh.status == 401 and refresh.content_type == PROBLEM
    assert_gateway_problem(gw.request("GET", "/no/such/route"), 404)


def test_request_ids_pass_through_and_are_logged_by_the_app(gateway_deployment):
    gw = gateway_deployment
    request_id = f"till-9.{uuid.uuid4().hex}"
    # No credentials: the catalog API answers 401 (a problem naming the id) and logs the request.
    response = gw.request("GET", "/api/v1/catalog/products/", headers={"X-Request-ID": request_id})
    assert response.status == 401 and response.content_type == PROBLEM
    assert response.headers["X-Request-ID"] == request_id
    assert response.json()["request_id"] == request_id
    catalog = gw.apis["catalog"]
    wait_until(lambda: app_logged(catalog, request_id, '"GET /api/v1/catalog/products/" 401'), timeout=10,
               message=f"the catalog API to log request {request_id}")
    wait_until(lambda: f"rid={request_id}" in gw.gateway.log_text(), timeout=10,
               message="the gateway's access log to name the request id")

    # An id the application would not accept is replaced by the gateway's own, the same one upstream.
    replaced = gw.request("GET", "/api/v1/catalog/products/", headers={"X-Request-ID": "bad id; drop table"})
    made_up = replaced.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made_up) and replaced.json()["request_id"] == made_up
    wait_until(lambda: app_logged(catalog, made_up, '"GET /api/v1/catalog/products/" 401'), timeout=10,
               message="the catalog API to log the gateway's request id")


def test_rate_limit_per_client_answers_429_problem_with_retry_after(gateway_deployment):
    gw = gateway_deployment
    client = f"Bearer not-a-token-{uuid.uuid4().hex}"  # the gateway keys on the Authorization header
    statuses, limited = [], None
    while limited is None and len(statuses) < 300:
        response = http_request("GET", gw.url("/api/v1/catalog/products/"), headers={"Authorization": client})
        statuses.append(response.status)
        if response.status == 429:
            limited = response
    assert limited is not None, f"no 429 after {len(statuses)} quick requests: {sorted(set(statuses))}"
    assert statuses[0] == 401, "the first requests reach the catalog API (which refuses the bogus token)"
    body = assert_gateway_problem(limited, 429)
    assert limited.headers["Retry-After"] == "1" and "retry" in body["detail"]
    # Another client (another token) is not limited by the first one's requests.
    other = gw.request("GET", "/api/v1/catalog/products/", token=gw.token("gw-manager"))
    assert other.status == 200, other.text


def test_unavailable_upstream_is_a_quick_503_problem_and_recovers(gateway_deployment):
    gw = gateway_deployment
    token = gw.token("gw-manager")
    gw.stop_api("customers")
    try:
        started = time.monotonic()
        response = gw.request("GET", "/api/v1/customers/", token=token, headers={"X-Request-ID": "down-1"},
                              timeout=10)
        elapsed = time.monotonic() - started
        body = assert_gateway_problem(response, 503)
        assert body["request_id"] == "down-1" and response.headers["Retry-After"] == "1"
        assert elapsed < 2.0, f"the gateway took {elapsed:.2f}s to answer for a stopped upstream"
        # a write is refused the same way (and never half-applied: nothing received it)
        post = gw.request("POST", "/api/v1/customers/", token=token, json={"name": "Nobody"}, timeout=10)
        assert_gateway_problem(post, 503)
        # the other contexts go on
        assert gw.request("GET", "/api/v1/catalog/products/", token=token).status == 200
    finally:
        gw.start_api("customers")
        gw.wait_api("customers")
    assert gw.request("GET", "/api/v1/customers/", token=token).status == 200


def test_hung_upstream_is_cut_off_with_a_504_problem(gateway_deployment):
    """An upstream that accepts connections but never answers (its processes stopped with SIGSTOP)
    is given up after the gateway's proxy_read_timeout (15 s), not waited for forever."""
    gw = gateway_deployment
    reporting = gw.apis["reporting"]
    os.killpg(reporting.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        response = http_request("GET", gw.url("/health/reporting/live"), headers={"X-Request-ID": "hung-1"},
                                timeout=30)
        elapsed = time.monotonic() - started
    finally:
        os.killpg(reporting.pid, signal.SIGCONT)
    body = assert_gateway_problem(response, 504)
    assert body["request_id"] == "hung-1" and "Idempotency-Key" in body["detail"]
    assert 14.0 <= elapsed < 20.0, f"cut off after {elapsed:.1f}s (proxy_read_timeout is 15 s)"
    wait_until(lambda: gw.request("GET", "/health/reporting/live").status == 200, timeout=15,
               message="the reporting API to answer again after SIGCONT")
