"""Staff accounts through the API in one process: made, moved, reset and deactivated by head
office and by store managers within their stores, each change an event, and the account works
(or stops working) at once."""

import pytest
from django.contrib.auth import get_user_model

from infrastructure.access.models import StoreAssignment
from infrastructure.eventstore.models import StoredEvent
from tests.conftest import _make_user
from tests.customers.support import assert_problem
from tests.stores.support import API, NEW_YORK, register_store

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]

STAFF = f"{API}/staff"
PASSWORD = "a-Long-enough-passw0rd"


@pytest.fixture
def two_stores(db):
    register_store()
    register_store(NEW_YORK)


@pytest.fixture
def berlin_manager(make_client, django_user_model, two_stores):
    user = _make_user(django_user_model, "berlin-manager", group="manager")
    StoreAssignment.objects.create(user=user, store_code="BER")
    return make_client(user)


def create(client, username="anna", role="cashier", stores=("BER",), password=PASSWORD):
    return client.post(f"{STAFF}/", {"username": username, "password": password, "role": role,
                                     "stores": list(stores)}, format="json")


def staff_events(username) -> list[str]:
    return list(StoredEvent.objects.filter(stream_id=f"staff-{username}").order_by("version")
                .values_list("event_type", flat=True))


def test_head_office_makes_a_cashier_who_can_then_log_in(manager, two_stores, api_client):
    response = create(manager, stores=["ber", "nyc"])
    assert response.status_code == 201, response.content
    assert response.json() == {"username": "anna", "role": "cashier", "stores": ["BER", "NYC"], "active": True,
                               "version": 1}
    assert "password" not in str(StoredEvent.objects.get(stream_id="staff-anna").data)
    user = get_user_model().objects.get(username="anna")
    assert list(user.groups.values_list("name", flat=True)) == ["cashier"] and not user.is_staff
    assert sorted(user.store_assignments.values_list("store_code", flat=True)) == ["BER", "NYC"]
    assert manager.get(f"{STAFF}/anna/").json() == response.json()
    login = api_client.post("/api/v1/auth/token/", {"username": "anna", "password": PASSWORD}, format="json")
    assert login.status_code == 200, login.content


@pytest.mark.parametrize("payload, status, field", [
    ({"stores": ["ZZ9"]}, 422, "stores.0"),  # not a registered store
    ({"password": "123"}, 422, "password"),  # Django's password validators
    ({"role": "owner"}, 422, "role"),
    ({"username": "test-manager"}, 409, "username"),  # the requesting manager's own account
])
def test_refusals_name_the_field_and_make_nothing(manager, two_stores, payload, status, field):
    body = {"username": "anna", "password": PASSWORD, "role": "cashier", "stores": ["BER"], **payload}
    assert_problem(manager.post(f"{STAFF}/", body, format="json"), status, field=field)
    assert not get_user_model().objects.filter(username="anna").exists()
    assert staff_events("anna") == []


def test_a_closed_store_takes_no_new_staff(manager, two_stores):
    manager.post(f"{API}/NYC/close/", {}, format="json")
    assert_problem(create(manager, stores=["NYC"]), 422, field="stores.0")


def test_a_store_manager_manages_only_their_stores_staff(berlin_manager, manager):
    assert create(berlin_manager, "bert", stores=["BER"]).status_code == 201
    assert_problem(create(berlin_manager, "nina", stores=["NYC"]), 403, field="stores")
    assert_problem(create(berlin_manager, "boss", role="manager", stores=[]), 403, field="stores")
    assert create(manager, "nina", stores=["NYC"]).status_code == 201

    assert [s["username"] for s in berlin_manager.get(f"{STAFF}/").json()["results"]] == ["bert"]
    assert [s["username"] for s in manager.get(f"{STAFF}/").json()["results"]] == ["bert", "nina"]
    assert_problem(berlin_manager.post(f"{STAFF}/nina/reset-password/", {"password": PASSWORD}, format="json"), 403)
    assert_problem(berlin_manager.post(f"{STAFF}/nina/deactivate/", {}, format="json"), 403)
    assert get_user_model().objects.get(username="nina").is_active


def test_moving_resetting_and_deactivating(manager, two_stores, api_client):
    create(manager)
    moved = manager.post(f"{STAFF}/anna/stores/", {"stores": ["NYC"]}, format="json")
    assert (moved.status_code, moved.json()["stores"]) == (200, ["NYC"])
    assert list(StoreAssignment.objects.filter(user__username="anna").values_list("store_code", flat=True)) == ["NYC"]

    assert_problem(manager.post(f"{STAFF}/anna/reset-password/", {"password": "short"}, format="json"), 422,
                   field="password")
    new_password = "another-Long-passw0rd"
    assert manager.post(f"{STAFF}/anna/reset-password/", {"password": new_password}, format="json").status_code == 200
    login = api_client.post("/api/v1/auth/token/", {"username": "anna", "password": new_password}, format="json")
    assert login.status_code == 200
    access = login.json()["access"]

    assert manager.post(f"{STAFF}/anna/deactivate/", {"reason": "left"}, format="json").json()["active"] is False
    assert staff_events("anna") == ["StaffAccountCreated", "StaffStoresAssigned", "StaffPasswordReset",
                                    "StaffAccountDeactivated"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api_client.get("/api/v1/auth/me/").status_code == 401  # the token stops working at once
    api_client.credentials()
    refused = api_client.post("/api/v1/auth/token/", {"username": "anna", "password": new_password}, format="json")
    assert refused.status_code == 401
