"""JWT login for tills, roles, and every error the API answers with as RFC 9457 problem details."""

import json

import pytest

from tests.helpers.problem_types import registered_problem_name


pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

PROBLEM = "application/problem+json"
TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
ME_URL = "/api/v1/auth/me/"


def assert_problem(response, status: int):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body = json.loads(response.content)
    assert body["status"] == status
    registered_problem_name(body["type"])
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def login(api_client, user):
    response = api_client.post(TOKEN_URL, {"username": user.username, "password": user.plain_password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def me(api_client, access: str):
    return api_client.get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {access}")


# --- authentication -------------------------------------------------------------------------
def test_me_without_a_token_is_401_problem_details(api_client):
    response = api_client.get(ME_URL)

    body = assert_problem(response, 401)
    assert body["title"] == "Unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_garbage_token_is_401_problem_details(api_client):
    assert_problem(me(api_client, "not-a-jwt"), 401)


def test_bad_credentials_are_401_problem_details(api_client, cashier_user):
    response = api_client.post(TOKEN_URL, {"username": cashier_user.username, "password": "wrong"}, format="json")

    assert "access" not in assert_problem(response, 401)


def test_a_cashier_logs_in_and_sees_its_roles(api_client, cashier_user):
    tokens = login(api_client, cashier_user)

    response = me(api_client, tokens["access"])

    assert response.status_code == 200
    assert response.json() == {"username": cashier_user.username, "roles": ["cashier"]}


def test_a_refresh_token_gives_a_new_working_access_token(api_client, cashier_user):
    tokens = login(api_client, cashier_user)

    response = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 200, response.content
    access = response.json()["access"]
    assert access != tokens["access"]
    assert me(api_client, access).json()["username"] == cashier_user.username


def test_an_access_token_is_not_a_refresh_token(api_client, cashier_user):
    tokens = login(api_client, cashier_user)

    assert_problem(api_client.post(REFRESH_URL, {"refresh": tokens["access"]}, format="json"), 401)


def test_a_manager_is_also_a_cashier(api_client, manager_user):
    roles = me(api_client, login(api_client, manager_user)["access"]).json()["roles"]

    assert roles == ["cashier", "manager"]


def test_a_superuser_has_every_role(api_client, admin_user):
    roles = me(api_client, login(api_client, admin_user)["access"]).json()["roles"]

    assert roles == ["admin", "cashier", "manager"]


# --- errors as problem details --------------------------------------------------------------
def test_an_unknown_api_address_is_404_problem_details(api_client):
    body = assert_problem(api_client.get("/api/v1/nope/"), 404)

    assert body["instance"] == "/api/v1/nope/"


def test_a_wrong_method_is_405_problem_details(api_client):
    response = api_client.get(TOKEN_URL)

    body = assert_problem(response, 405)
    assert "GET" in body["detail"]
    assert "POST" in response["Allow"]


def test_a_malformed_json_body_is_400_problem_details(api_client):
    response = api_client.post(TOKEN_URL, data='{"username": "x", ', content_type="application/json")

    assert "JSON" in assert_problem(response, 400)["detail"]


def test_missing_credentials_name_each_field(api_client):
    body = assert_problem(api_client.post(TOKEN_URL, {}, format="json"), 400)

    assert {error["field"] for error in body["errors"]} == {"username", "password"}


# --- schema and docs ------------------------------------------------------------------------
def test_the_openapi_schema_is_served(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "POS API"
    assert {TOKEN_URL, REFRESH_URL, ME_URL} <= set(schema["paths"])


def test_the_api_docs_are_an_html_page(api_client):
    response = api_client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"swagger-ui" in response.content.lower()
