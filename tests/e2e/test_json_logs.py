"""JSON logs from a real gunicorn: one line per request, with its request id, correlation id,
context, user and till; no second line for a 404 (a browser's /favicon.ico on every page)."""

import json
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.helpers import ServerProcess, child_env, wait_until
from tests.helpers.auth import till_token

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def json_server(services_env):
    """gunicorn with POS_LOG_FORMAT=json on this test's database (where the test's users are)."""
    url = urlsplit(services_env["DATABASE_URL"])
    database = urlunsplit(url._replace(path=f"/{connection.settings_dict['NAME']}"))
    with ServerProcess(child_env({**services_env, "DATABASE_URL": database, "POS_LOG_FORMAT": "json"}),
                       kind="gunicorn", name="gunicorn-json-logs") as server:
        yield server


def json_lines(server) -> list[dict]:
    lines = [line for line in server.log_text().splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


def lines_of(server, request_id: str) -> list[dict]:
    return [line for line in json_lines(server) if line.get("request_id") == request_id]


def test_each_request_is_one_json_line_with_who_and_where(json_server, cashier_user):
    till = uuid.uuid4()
    request_id, correlation = uuid.uuid4().hex, f"corr-{uuid.uuid4().hex[:8]}"
    response = json_server.get("/api/v1/catalog/products/", headers={
        "Authorization": f"Bearer {till_token(cashier_user, till)}", "X-Request-ID": request_id,
        "X-Correlation-ID": correlation})
    assert response.status == 200, response.text

    [line] = wait_until(lambda: lines_of(json_server, request_id), timeout=10, message="the request's log line")
    assert line["logger"] == "pos.requests" and line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/v1/catalog/products/", 200)
    assert (line["correlation_id"], line["context"], line["user"], line["till"]) == (
        correlation, "catalog", cashier_user.username, str(till))
    assert line["duration_ms"] >= 0 and line["time"]


def test_a_missing_favicon_is_one_line_not_a_warning_too(json_server):
    request_id = uuid.uuid4().hex
    assert json_server.get("/favicon.ico", headers={"X-Request-ID": request_id}).status == 404

    [line] = wait_until(lambda: lines_of(json_server, request_id), timeout=10, message="the 404's log line")
    assert (line["logger"], line["status"], line["user"], line["context"]) == ("pos.requests", 404, "-", "-")
    assert not [entry for entry in json_lines(json_server) if "favicon" in entry["message"]
                and entry["logger"] != "pos.requests"]
