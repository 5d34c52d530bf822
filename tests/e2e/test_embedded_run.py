"""`make run` (scripts/run-embedded) on a machine with no services: SQLite, demo data, a working API."""

import os
import re

import pytest

from tests.helpers import REPO_ROOT, ServerProcess, free_port, http_post

pytestmark = pytest.mark.e2e

# Only what a fresh shell would have: none of the services' variables, no secret key, no test settings.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "LOGNAME")


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("embedded-data")
    port = free_port()
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env.update({
        "POS_DATA_DIR": str(data_dir),
        "POS_PORT": str(port),
        "POS_RUNSERVER_ARGS": "--noreload",
        "VENV": str(REPO_ROOT / ".venv"),
        "PYTHONUNBUFFERED": "1",
    })
    assert not {"DATABASE_URL", "CELERY_BROKER_URL", "KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URL"} & set(env)
    server = ServerProcess(env, cmd=[str(REPO_ROOT / "scripts" / "run-embedded")], port=port,
                           name="run-embedded", start_timeout=180)
    with server:
        server.data_dir = data_dir
        yield server


def test_it_serves_on_sqlite_in_the_given_data_dir(embedded):
    assert (embedded.data_dir / "pos.sqlite3").is_file()
    assert "POS is running in embedded mode" in embedded.log_text()


def test_readiness_says_embedded_and_checks_only_the_database(embedded):
    response = embedded.get("/health/ready")

    assert response.status == 200
    body = response.json()
    assert body["mode"] == "embedded"
    assert list(body["checks"]) == ["database"]
    assert body["checks"]["database"]["status"] == "up"


def test_the_admin_login_page_is_served(embedded):
    response = embedded.get("/admin/login/")

    assert response.status == 200
    assert response.content_type.startswith("text/html")
    assert re.search(r'<form[^>]*id="login-form"', response.text)
    assert 'name="username"' in response.text and 'name="password"' in response.text


def test_the_openapi_schema_is_served(embedded):
    response = embedded.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})

    assert response.status == 200
    assert response.json()["openapi"].startswith("3.")


def test_the_demo_cashier_gets_a_token_and_its_role(embedded):
    response = http_post(embedded.url("/api/v1/auth/token/"),
                         json={"username": "cashier", "password": "cashier-demo-pass"})

    assert response.status == 200, response.text
    access = response.json()["access"]
    me = embedded.get("/api/v1/auth/me/", headers={"Authorization": f"Bearer {access}"})
    assert me.status == 200
    assert me.json() == {"username": "cashier", "roles": ["cashier"]}


def test_the_audit_search_answers_from_the_event_table(embedded):
    response = http_post(embedded.url("/api/v1/auth/token/"),
                         json={"username": "manager", "password": "manager-demo-pass"})
    assert response.status == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['access']}"}

    created = embedded.get("/api/v1/audit/events/?type=ProductCreated&page_size=500", headers=headers)
    assert created.status == 200, created.text
    body = created.json()
    assert body["source"] == "event-table"  # no archive without MONGODB_URL, and no service needed
    assert body["count"] > 0 and {e["event_type"] for e in body["results"]} == {"ProductCreated"}
    sku = body["results"][0]["data"]["sku"]
    by_sku = embedded.get(f"/api/v1/audit/events/?sku={sku}", headers=headers).json()
    assert by_sku["count"] >= 1 and {e["stream_id"] for e in by_sku["results"]} == {body["results"][0]["stream_id"]}
