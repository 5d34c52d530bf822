"""Sealed details, forgetting, export, legacy plaintext events and master key rotation, on the
real PostgreSQL (the append-only trigger is part of what is tested), events delivered in-process."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from contexts.customers import commands as c
from contexts.customers import legacy
from contexts.customers.domain.customer import Customer
from contexts.customers.keyring import DataKey
from contexts.customers.models import CustomerView
from infrastructure.aggregates.repository import Repository
from infrastructure.commands.bus import execute
from infrastructure.consumers.models import InboxEvent
from infrastructure.eventstore.models import Snapshot, StoredEvent
from infrastructure.personal_data import cipher
from kernel.values import ERASED
from tests.customers.support import API, assert_problem, events_of, make_customer, meta, unique_email

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]


def stored(customer_id) -> list[StoredEvent]:
    return list(StoredEvent.objects.filter(stream_id=str(customer_id)).order_by("version"))


def forget(customer_id, who="test-manager") -> dict:
    return execute(c.ForgetCustomer(customer_id=customer_id, requested_by=who), meta(who))


# --- sealed on the way in ---------------------------------------------------------------------
def test_details_are_stored_sealed_under_the_customers_own_key_and_open_for_readers():
    email = unique_email("sealed")
    customer_id = make_customer("Sealy Person", email=email, phone="+49 30 5550001")
    (row,) = stored(customer_id)
    key = DataKey.objects.get(customer_id=customer_id)
    assert row.schema_version == 2 and set(row.data) == {"customer_id", "key_id", "personal"}
    assert row.data["key_id"] == str(key.key_id)
    for plain in ("Sealy", email, "495550001", "4930555"):
        assert plain not in str(row.data) and plain not in str(InboxEvent.objects.filter(event_id=row.event_id)
                                                                   .values_list("data", flat=True).first())
    assert events_of(customer_id)[0][1]["email"] == email
    assert CustomerView.objects.get(id=customer_id).name == "Sealy Person"  # the read model may hold it


# --- forgetting -----------------------------------------------------------------------------
def test_forgetting_destroys_the_key_erases_every_reader_and_keeps_the_points(manager):
    email = unique_email("forget")
    customer_id = make_customer("Forget Me", email=email, phone="+4930 5550002",
                                address={"line1": "Hauptstr. 1", "city": "Berlin", "country": "DE"})
    execute(c.EarnLoyaltyPoints(customer_id=customer_id, order_id=uuid.uuid4(), amount="12.00"), meta())

    response = manager.post(f"{API}/{customer_id}/forget/")

    assert response.status_code == 200, response.json()
    assert {k: response.json()[k] for k in ("name", "phone", "email", "address", "status", "points_balance")} == {
        "name": ERASED, "phone": None, "email": None, "address": None, "status": "forgotten", "points_balance": 12}
    forgotten = stored(customer_id)[-1]
    assert forgotten.event_type == "CustomerForgotten" and forgotten.data["requested_by"] == "test-manager"
    assert forgotten.data["forgotten_at"].endswith("Z")
    key = DataKey.objects.get(customer_id=customer_id)
    assert key.destroyed and key.wrapped_key == "" and key.master_key_id == ""
    assert events_of(customer_id)[0][1] == {"customer_id": str(customer_id), "name": ERASED, "phone": None,
                                            "email": None, "address": None}
    view = CustomerView.objects.get(id=customer_id)
    assert (view.name, view.email, view.phone, view.address, view.status, view.points_balance) == (
        ERASED, None, None, None, "forgotten", 12)
    history = manager.get(f"{API}/{customer_id}/history/").json()
    assert history[0]["data"]["name"] == ERASED


def test_forgetting_frees_the_email_refuses_changes_and_is_a_no_op_the_second_time(manager):
    email = unique_email("reuse")
    customer_id = make_customer("Re Use", email=email)
    forget(customer_id)
    version = len(stored(customer_id))

    assert forget(customer_id)["version"] == version  # nothing new recorded
    assert_problem(manager.patch(f"{API}/{customer_id}/", {"name": "Back"}, format="json"), 409,
                   code="customer-removed")
    again = manager.post(f"{API}/", {"name": "Someone Else", "email": email}, format="json")
    assert again.status_code == 201, again.json()


def test_forgetting_drops_the_snapshot_that_held_the_details():
    customer_id = make_customer("Snap Shot")
    state = Repository(Customer).get(customer_id).to_snapshot()
    assert state["name"] == "Snap Shot"  # what a snapshot of a long stream holds
    Snapshot.objects.create(stream_id=str(customer_id), context="customers", stream_type="Customer", version=1,
                            state=state, taken_at=timezone.now())
    forget(customer_id)
    assert not Snapshot.objects.filter(stream_id=str(customer_id)).exists()


def test_only_managers_forget(cashier):
    customer_id = make_customer("Cash Ier")
    assert_problem(cashier.post(f"{API}/{customer_id}/forget/"), 403)
    assert [e.event_type for e in stored(customer_id)] == ["CustomerRegistered"]


# --- right of access --------------------------------------------------------------------------
def test_the_export_holds_everything_decrypted_for_managers_and_nothing_once_forgotten(manager, cashier):
    email = unique_email("export")
    customer_id = make_customer("Ex Port", email=email, phone="+49 30 5550003")
    execute(c.UpdateCustomer(customer_id=customer_id, name="Ex Ported"), meta())

    assert_problem(cashier.get(f"{API}/{customer_id}/export/"), 403)
    export = manager.get(f"{API}/{customer_id}/export/").json()
    assert (export["customer"]["name"], export["customer"]["email"], export["customer"]["phone"]) == (
        "Ex Ported", email, "+49305550003")
    assert [(e["event_type"], e["data"]["name"]) for e in export["events"]] == [
        ("CustomerRegistered", "Ex Port"), ("CustomerUpdated", "Ex Ported")]
    assert export["events"][0]["user"] == "test-setup" and export["read_model"]["status"] == "active"

    forget(customer_id)
    assert_problem(manager.get(f"{API}/{customer_id}/export/"), 404)
    assert_problem(manager.get(f"{API}/{uuid.uuid4()}/export/"), 404)


# --- events recorded in plaintext before sealing ----------------------------------------------
def plaintext_registration(name: str, email: str) -> uuid.UUID:
    """A CustomerRegistered v1 as older code stored it (and its inbox copy), plaintext."""
    customer_id = uuid.uuid4()
    data = {"customer_id": str(customer_id), "name": name, "phone": "+49305550009", "email": email, "address": None}
    row = StoredEvent.objects.create(event_id=uuid.uuid4(), context="customers", stream_type="Customer",
                                     stream_id=str(customer_id), version=1, event_type="CustomerRegistered",
                                     schema_version=1, data=data, metadata={}, recorded_at=timezone.now())
    InboxEvent.objects.create(consumer="sales", event_id=row.event_id, source_context="customers",
                              stream_type="Customer", stream_id=str(customer_id), version=1,
                              event_type="CustomerRegistered", schema_version=1, data=data, metadata={},
                              recorded_at=row.recorded_at, received_at=row.recorded_at)
    return customer_id


def test_the_event_table_refuses_updates_outside_the_sanctioned_reseal():
    customer_id = plaintext_registration("Old Timer", unique_email("old"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        StoredEvent.objects.filter(stream_id=str(customer_id)).update(data={"customer_id": str(customer_id)})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:  # allowed to reseal, but not to change the stream
            cursor.execute("SELECT set_config('pos.reseal_personal_data', 'on', true)")
        StoredEvent.objects.filter(stream_id=str(customer_id)).update(schema_version=2, version=7)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pos.reseal_personal_data', 'on', true)")
        StoredEvent.objects.filter(stream_id=str(customer_id)).delete()


def test_a_customer_registered_in_plaintext_is_sealed_when_forgotten():
    email = unique_email("legacy")
    customer_id = plaintext_registration("Legacy Lady", email)
    assert events_of(customer_id)[0][1]["name"] == "Legacy Lady"  # the v1 event opens through the upcaster

    forget(customer_id)

    registered = stored(customer_id)[0]
    assert registered.schema_version == 2 and "Legacy" not in str(registered.data) and email not in str(registered.data)
    inbox = InboxEvent.objects.get(event_id=registered.event_id)
    assert inbox.data == registered.data and inbox.schema_version == 2
    assert events_of(customer_id)[0][1]["name"] == ERASED


def test_reseal_personal_data_seals_every_plaintext_event_and_they_still_open():
    email = unique_email("later")
    customer_id = plaintext_registration("Later Sealed", email)
    forgotten_id = plaintext_registration("Gone Already", unique_email("gone"))
    DataKey.objects.create(customer_id=forgotten_id, destroyed_at=timezone.now())  # forgotten by older code

    out = StringIO()
    call_command("reseal_personal_data", stdout=out)

    assert "2 events of 2 customers sealed." in out.getvalue()
    assert legacy.legacy_customers() == []
    assert events_of(customer_id)[0][1]["email"] == email and "Later" not in str(stored(customer_id)[0].data)
    assert events_of(forgotten_id)[0][1]["name"] == ERASED and "Gone" not in str(stored(forgotten_id)[0].data)
    call_command("reseal_personal_data", stdout=out)  # again: nothing left to do
    assert "0 events of 0 customers sealed." in out.getvalue()


# --- master key rotation ----------------------------------------------------------------------
def test_rewrap_moves_every_live_key_to_the_new_master_key_and_details_still_open(settings):
    email = unique_email("rotate")
    customer_id = make_customer("Ro Tate", email=email)
    old_master = DataKey.objects.get(customer_id=customer_id).master_key_id
    new_entry = cipher.new_master_key_entry("2027-01")
    settings.POS_MASTER_KEYS = [new_entry, *settings.POS_MASTER_KEYS]

    out = StringIO()
    call_command("master_key", "rewrap", stdout=out)

    key = DataKey.objects.get(customer_id=customer_id)
    assert old_master != "2027-01" and key.master_key_id == "2027-01"
    assert "rewrapped under master key '2027-01'" in out.getvalue()
    settings.POS_MASTER_KEYS = [new_entry]  # the old master key (the derived one aside) no longer needed
    assert events_of(customer_id)[0][1]["email"] == email


# --- the back office --------------------------------------------------------------------------
def test_the_back_office_action_forgets_and_its_log_keeps_no_name(client, admin_user):
    from django.contrib.admin.models import LogEntry

    client.force_login(admin_user)
    added = client.post("/admin/customers/customerview/add/",
                        {"name": "Log Ged", "phone": "", "email": "", "address_line1": "", "address_line2": "",
                         "address_city": "", "address_postal_code": "", "address_country": "", "_save": "Save"})
    assert added.status_code == 302
    (entry,) = LogEntry.objects.filter(object_repr="Log Ged")
    customer_id = uuid.UUID(entry.object_id)

    response = client.post("/admin/customers/customerview/",
                           {"action": "forget_selected", "_selected_action": [str(customer_id)]}, follow=True)

    assert response.status_code == 200
    assert any("Forgot 1 customer(s)." in str(m) for m in response.context["messages"])
    assert CustomerView.objects.get(id=customer_id).status == "forgotten"
    assert stored(customer_id)[-1].data["requested_by"] == admin_user.username
    entry.refresh_from_db()
    assert entry.object_repr == ERASED and not LogEntry.objects.filter(object_repr__contains="Log Ged").exists()
