"""The stores API in one process (events delivered in-process after each commit): registering,
changing, closing and reopening stores, every refusal a problem naming the field, and who may."""

import pytest

from contexts.stores.models import StoreView
from infrastructure.eventstore.models import StoredEvent
from tests.customers.support import assert_problem
from tests.stores.support import API, BERLIN, NEW_YORK, register_store

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]


def store_events() -> int:
    return StoredEvent.objects.filter(context="stores").count()


def test_a_manager_registers_a_store_and_reads_it_back(manager):
    response = manager.post(f"{API}/", {**NEW_YORK, "code": "nyc", "time_zone": "america/new_york"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {"code": "NYC", "name": "New York 5th Ave", "tax_id": "US-13-1234567",
                    "time_zone": "America/New_York", "receipt_header": "", "receipt_footer": "Thank you!",
                    "address": {**NEW_YORK["address"]}, "status": "open", "version": 1}
    assert response["Location"].endswith(f"{API}/NYC/")
    assert manager.get(f"{API}/NYC/").json() == body  # the read model: same shape, same values
    assert manager.get(f"{API}/nyc/").json()["code"] == "NYC"
    history = manager.get(f"{API}/NYC/history/").json()
    assert [entry["event_type"] for entry in history] == ["StoreRegistered"]


@pytest.mark.parametrize("field, value", [
    ("time_zone", "Europe/Atlantis"), ("time_zone", "GMT+2"), ("code", "S-1"), ("tax_id", ""), ("name", "  "),
    ("address.country", "Germany"), ("address.line1", ""), ("receipt_footer", "x" * 501),
])
def test_bad_details_are_a_422_naming_the_field_and_register_nothing(manager, field, value):
    payload = {**BERLIN, "address": {**BERLIN["address"]}}
    if field.startswith("address."):
        payload["address"][field.split(".")[1]] = value
    else:
        payload[field] = value
    before = store_events()

    assert_problem(manager.post(f"{API}/", payload, format="json"), 422, field=field)
    assert store_events() == before and not StoreView.objects.exists()


def test_a_missing_field_is_a_400_naming_it(manager):
    assert_problem(manager.post(f"{API}/", {k: v for k, v in BERLIN.items() if k != "time_zone"}, format="json"),
                   400, field="time_zone")


def test_a_code_is_registered_once(manager):
    register_store()
    assert_problem(manager.post(f"{API}/", {**BERLIN, "name": "Another"}, format="json"), 409, field="code")
    assert StoreView.objects.get(code="BER").name == "Berlin Mitte"


def test_a_manager_changes_details_but_never_the_code(manager):
    register_store()
    response = manager.patch(f"{API}/BER/", {"time_zone": "Europe/Paris", "receipt_footer": "Merci"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["time_zone"], response.json()["receipt_footer"], response.json()["version"]) == (
        "Europe/Paris", "Merci", 2)
    assert response.json()["receipt_header"] == "Willkommen!"  # not sent: kept
    assert StoreView.objects.get(code="BER").time_zone == "Europe/Paris"

    assert_problem(manager.patch(f"{API}/BER/", {"code": "XYZ"}, format="json"), 400, field="code")
    assert_problem(manager.patch(f"{API}/BER/", {"time_zone": "Berlin"}, format="json"), 422, field="time_zone")
    assert_problem(manager.patch(f"{API}/NOPE/", {"name": "x"}, format="json"), 404)
    assert StoreView.objects.get(code="BER").version == 2


def test_closing_and_reopening(manager):
    register_store()
    response = manager.post(f"{API}/BER/close/", {"reason": "Renovation"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "closed")
    assert StoreView.objects.get(code="BER").status == "closed"
    assert_problem(manager.post(f"{API}/BER/close/", {}, format="json"), 409)
    assert manager.get(f"{API}/?status=closed").json()["results"][0]["code"] == "BER"
    response = manager.post(f"{API}/BER/reopen/", format="json")
    assert (response.status_code, response.json()["status"]) == (200, "open")
    assert StoreView.objects.get(code="BER").status == "open"


def test_cashiers_read_the_directory_but_change_nothing(cashier):
    register_store()
    assert [s["code"] for s in cashier.get(f"{API}/").json()["results"]] == ["BER"]
    assert_problem(cashier.post(f"{API}/", NEW_YORK, format="json"), 403)
    assert_problem(cashier.patch(f"{API}/BER/", {"name": "x"}, format="json"), 403)
    assert_problem(cashier.post(f"{API}/BER/close/", {}, format="json"), 403)
    assert StoreView.objects.get(code="BER").status == "open"
