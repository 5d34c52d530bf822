"""The stores back office through the Django admin views, logged in as a staff manager: every
write is a command (events are the evidence), errors show next to their fields."""

import pytest

from contexts.stores.models import StoreView
from infrastructure.eventstore.models import StoredEvent
from tests.stores.support import BERLIN, register_store

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]

ADMIN = "/admin/stores/storeview"


@pytest.fixture
def admin_client(client, manager_user):
    manager_user.is_staff = True
    manager_user.save()
    client.force_login(manager_user)
    return client


def form(**fields) -> dict:
    address = {f"address_{k}": v for k, v in BERLIN["address"].items()}
    return {**{k: v for k, v in BERLIN.items() if k != "address"}, **address, **fields, "_save": "Save"}


def test_registering_a_store_in_the_back_office_is_the_command(admin_client):
    response = admin_client.post(f"{ADMIN}/add/", form(code="b2", time_zone="europe/berlin"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    row = StoreView.objects.get(code="B2")
    assert (row.time_zone, row.address_city, row.status) == ("Europe/Berlin", "Berlin", "open")
    assert list(StoredEvent.objects.filter(stream_id="store-B2").values_list("event_type", flat=True)) == [
        "StoreRegistered"]


def test_a_bad_time_zone_shows_on_its_field_and_registers_nothing(admin_client):
    response = admin_client.post(f"{ADMIN}/add/", form(time_zone="Berlin/Mitte"))
    assert response.status_code == 200
    assert "time_zone" in response.context["adminform"].form.errors
    assert not StoredEvent.objects.filter(context="stores").exists()


def test_changing_and_closing_in_the_back_office(admin_client):
    register_store()
    response = admin_client.post(f"{ADMIN}/BER/change/", form(name="Berlin Alexanderplatz"))
    assert response.status_code == 302
    assert StoreView.objects.get(code="BER").name == "Berlin Alexanderplatz"
    page = admin_client.get(f"{ADMIN}/BER/change/")
    assert b"StoreUpdated" in page.content  # the history under the form

    admin_client.post(f"{ADMIN}/", {"action": "close_stores", "_selected_action": ["BER"]})
    assert StoreView.objects.get(code="BER").status == "closed"
    assert admin_client.post(f"{ADMIN}/BER/delete/").status_code == 403  # closed, never deleted


STAFF_ADMIN = "/admin/stores/staffview"


def test_staff_in_the_back_office_made_moved_reset_and_deactivated_through_commands(admin_client):
    from django.contrib.auth import get_user_model

    from tests.stores.support import NEW_YORK

    register_store()
    register_store(NEW_YORK)
    weak = admin_client.post(f"{STAFF_ADMIN}/add/", {"username": "anna", "password": "123", "role": "cashier",
                                                     "stores": ["BER"], "_save": "Save"})
    assert weak.status_code == 200 and "password" in weak.context["adminform"].form.errors
    password = "a-Long-enough-passw0rd"
    made = admin_client.post(f"{STAFF_ADMIN}/add/", {"username": "anna", "password": password, "role": "cashier",
                                                     "stores": ["BER"], "_save": "Save"})
    assert made.status_code == 302, made.context["adminform"].form.errors
    moved = admin_client.post(f"{STAFF_ADMIN}/anna/change/", {"stores": ["NYC"], "_save": "Save"})
    assert moved.status_code == 302
    reset = admin_client.post(f"{STAFF_ADMIN}/anna/reset-password/", {"password": "another-Long-passw0rd"})
    assert reset.status_code == 302
    admin_client.post(f"{STAFF_ADMIN}/", {"action": "deactivate_accounts", "_selected_action": ["anna"]})

    user = get_user_model().objects.get(username="anna")
    assert user.check_password("another-Long-passw0rd") and not user.is_active
    assert list(user.store_assignments.values_list("store_code", flat=True)) == ["NYC"]
    assert list(StoredEvent.objects.filter(stream_id="staff-anna").order_by("version")
                .values_list("event_type", flat=True)) == [
        "StaffAccountCreated", "StaffStoresAssigned", "StaffPasswordReset", "StaffAccountDeactivated"]
