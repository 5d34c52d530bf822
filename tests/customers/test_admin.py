"""The back office, driven through the Django admin views with the test client, logged in as a
staff manager. Every write goes through the command handlers: events are the evidence."""

import uuid

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission

from contexts.customers import commands as c
from contexts.customers.models import CustomerView
from infrastructure.commands.bus import execute
from tests.customers.support import (
    API, customer_event_count, event_types, events_of, make_customer, meta, row, unique_email,
)

pytestmark = pytest.mark.integration

ADMIN = "/admin/customers/customerview"
FORM = {"name": "", "phone": "", "email": "", "address_line1": "", "address_line2": "", "address_city": "",
        "address_postal_code": "", "address_country": ""}


@pytest.fixture
def staff_manager(manager_user):
    manager_user.is_staff = True
    manager_user.save()
    return manager_user


@pytest.fixture
def admin_client(client, staff_manager):
    client.force_login(staff_manager)
    return client


def form(**fields) -> dict:
    return {**FORM, **fields, "_save": "Save"}


def change_url(customer_id) -> str:
    return f"{ADMIN}/{customer_id}/change/"


def form_errors(response) -> dict:
    assert response.status_code == 200, response.status_code
    adminform = response.context["adminform"]
    return {field or "__all__": list(errors) for field, errors in adminform.form.errors.items()}


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- add --------------------------------------------------------------------------------------
@pytest.mark.usefixtures("embedded_delivery")
def test_adding_a_customer_records_customer_registered_and_it_appears_in_the_api(admin_client, staff_manager,
                                                                                   manager):
    response = admin_client.post(f"{ADMIN}/add/", form(
        name=" Ann  Example ", phone="+49 (30) 123-4567", email="Ann@Example.COM", address_line1="1 Main Street",
        address_city="Berlin", address_postal_code="10115", address_country="de"), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"{ADMIN}/"
    (customer,) = CustomerView.objects.all()
    assert event_types(customer.id) == ["CustomerRegistered"]
    _, data = events_of(customer.id)[0]
    assert data == {"customer_id": str(customer.id), "name": "Ann Example", "phone": "+49301234567",
                    "email": "Ann@example.com", "address": {"line1": "1 Main Street", "line2": "", "city": "Berlin",
                                                            "postal_code": "10115", "country": "DE"}}
    history = manager.get(f"{API}/{customer.id}/history/").json()
    assert history[0]["user"] == staff_manager.username
    listed = manager.get(f"{API}/").json()["results"]
    assert [(c["id"], c["name"], c["phone"]) for c in listed] == [(str(customer.id), "Ann Example", "+49301234567")]
    (entry,) = LogEntry.objects.filter(object_id=str(customer.id))
    assert entry.object_repr == "Ann Example"  # the accepted, normalised name
    assert any("Added the customer “Ann Example”." in m for m in page_messages(response))


@pytest.mark.usefixtures("embedded_delivery")
def test_field_errors_from_the_domain_rules_show_all_at_once_and_nothing_is_written(admin_client):
    response = admin_client.post(f"{ADMIN}/add/", form(
        name="   ", phone="12", email="ann@", address_line1="1 Main Street", address_country="Germany"))

    errors = form_errors(response)
    # Every field's error at once: the domain rules', and the country's length from the form's model.
    assert set(errors) == {"name", "phone", "email", "address_city", "address_country"}
    assert errors["address_country"] == ["Ensure this value has at most 2 characters (it has 7)."]
    assert any("7 to 15 digits" in message for message in errors["phone"])
    assert any("valid email" in message for message in errors["email"])
    assert customer_event_count() == 0 and not CustomerView.objects.exists()


@pytest.mark.usefixtures("embedded_delivery")
def test_an_address_country_error_lands_on_its_field(admin_client):
    errors = form_errors(admin_client.post(f"{ADMIN}/add/", form(
        name="Ann", address_line1="1 Main Street", address_city="Berlin", address_country="Germany")))
    assert list(errors) == ["address_country"]


@pytest.mark.usefixtures("embedded_delivery")
def test_a_refusal_only_the_command_can_know_is_a_form_error_not_a_500(admin_client):
    taken = unique_email("taken")
    make_customer("Holder", email=taken)
    before = customer_event_count()

    response = admin_client.post(f"{ADMIN}/add/", form(name="Ann", email=taken.upper()))

    errors = form_errors(response)
    assert errors == {"email": ["Another customer already uses this email address."]}
    assert customer_event_count() == before and CustomerView.objects.count() == 1
    assert not LogEntry.objects.exists()
    assert response.context["adminform"].form["name"].value() == "Ann"  # the input is kept


# --- change -----------------------------------------------------------------------------------
@pytest.mark.usefixtures("embedded_delivery")
def test_the_change_page_shows_the_event_history(admin_client):
    customer_id = make_customer("Ann")
    execute(c.UpdateCustomer(customer_id=customer_id, name="Ann B"), meta("someone"))

    response = admin_client.get(change_url(customer_id))

    assert response.status_code == 200
    history = response.context["event_history"]
    assert [(e["version"], e["event_type"], e["user"]) for e in history] == [  # newest first
        (2, "CustomerUpdated", "someone"), (1, "CustomerRegistered", "test-setup")]
    assert response.content.decode().count('class="event-history-row"') == 2


@pytest.mark.usefixtures("embedded_delivery")
def test_changing_a_customer_records_customer_updated(admin_client):
    customer_id = make_customer("Ann", phone="0301234567")
    email = row(customer_id).email

    response = admin_client.post(change_url(customer_id), form(name="Ann Other", phone="030 7654321", email=email))

    assert response.status_code == 302, form_errors(response)
    assert event_types(customer_id) == ["CustomerRegistered", "CustomerUpdated"]
    assert (row(customer_id).name, row(customer_id).phone, row(customer_id).version) == ("Ann Other", "0307654321", 2)


@pytest.mark.usefixtures("embedded_delivery")
def test_changing_to_a_taken_email_is_a_form_error(admin_client):
    taken = unique_email("taken")
    make_customer("Holder", email=taken)
    customer_id = make_customer("Ann")

    errors = form_errors(admin_client.post(change_url(customer_id), form(name="Ann", email=taken)))

    assert errors == {"email": ["Another customer already uses this email address."]}
    assert event_types(customer_id) == ["CustomerRegistered"]


def lagging_read_row(customer_id) -> None:
    """The read row still says active although the stream has the removal: what the admin sees
    in full mode between the command's commit and Kafka's delivery of CustomerRemoved."""
    CustomerView.objects.filter(pk=customer_id).update(status="active")


@pytest.mark.usefixtures("embedded_delivery")
def test_changing_a_customer_removed_meanwhile_is_a_form_error_and_writes_nothing(admin_client):
    customer_id = make_customer("Ann")
    execute(c.RemoveCustomer(customer_id=customer_id, reason="elsewhere"), meta("someone"))
    lagging_read_row(customer_id)

    response = admin_client.post(change_url(customer_id), form(name="Ann Other"))

    errors = form_errors(response)
    assert list(errors) == ["__all__"] and "removed" in errors["__all__"][0]
    assert event_types(customer_id) == ["CustomerRegistered", "CustomerRemoved"]
    assert not LogEntry.objects.filter(object_id=str(customer_id)).exists()


@pytest.mark.usefixtures("embedded_delivery")
def test_saving_an_unchanged_form_records_nothing(admin_client):
    customer_id = make_customer("Ann", phone="+49 30 1234567")
    current = row(customer_id)

    response = admin_client.post(change_url(customer_id), form(name="Ann", phone=current.phone, email=current.email))

    assert response.status_code == 302
    assert event_types(customer_id) == ["CustomerRegistered"]


# --- delete -----------------------------------------------------------------------------------
@pytest.mark.usefixtures("embedded_delivery")
def test_deleting_removes_the_customer_and_its_page_becomes_read_only(admin_client, manager):
    customer_id = make_customer("Ann")

    response = admin_client.post(f"{ADMIN}/{customer_id}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert event_types(customer_id) == ["CustomerRegistered", "CustomerRemoved"]
    assert row(customer_id).status == "removed"
    assert manager.get(f"{API}/").json()["count"] == 0
    page = admin_client.get(change_url(customer_id))
    assert page.status_code == 200 and page.context["title"] == "View customer"
    assert [e["event_type"] for e in page.context["event_history"]] == ["CustomerRemoved", "CustomerRegistered"]
    assert admin_client.post(change_url(customer_id), form(name="Back")).status_code == 403
    assert admin_client.post(f"{ADMIN}/{customer_id}/delete/", {"post": "yes"}).status_code == 403
    assert event_types(customer_id) == ["CustomerRegistered", "CustomerRemoved"]


@pytest.mark.usefixtures("embedded_delivery")
def test_the_bulk_delete_action_removes_the_active_ones_and_skips_removed_ones(admin_client):
    ann, bob = make_customer("Ann"), make_customer("Bob")
    gone = make_customer("Gone", removed=True)

    response = admin_client.post(f"{ADMIN}/", {"action": "delete_selected", "post": "yes",
                                                "_selected_action": [str(ann), str(bob), str(gone)]})

    assert response.status_code == 302
    assert {row(i).status for i in (ann, bob, gone)} == {"removed"}
    assert [event_types(i)[-1] for i in (ann, bob)] == ["CustomerRemoved", "CustomerRemoved"]
    assert event_types(gone).count("CustomerRemoved") == 1


@pytest.mark.usefixtures("embedded_delivery")
def test_the_bulk_delete_action_reports_a_refusal_and_removes_the_others(admin_client):
    ann, gone = make_customer("Ann"), make_customer("Gone", removed=True)
    lagging_read_row(gone)  # listed as active: only the command knows it is removed

    response = admin_client.post(f"{ADMIN}/", {"action": "delete_selected", "post": "yes",
                                                "_selected_action": [str(ann), str(gone)]}, follow=True)

    assert response.status_code == 200
    (warning,) = [m for m in page_messages(response) if m.startswith("Not deleted:")]
    assert f"Gone: Customer {gone} was already removed." in warning and "Ann" not in warning
    assert event_types(ann) == ["CustomerRegistered", "CustomerRemoved"]
    assert event_types(gone).count("CustomerRemoved") == 1


# --- list and search --------------------------------------------------------------------------
@pytest.mark.usefixtures("embedded_delivery")
def test_the_list_searches_phone_numbers_whatever_the_punctuation(admin_client):
    make_customer("Ann", phone="+49 30 1234567")
    make_customer("Bob", phone="+44 20 7946 0018")

    response = admin_client.get(f"{ADMIN}/", {"q": "(30) 123-45"})

    assert [customer.name for customer in response.context["cl"].result_list] == ["Ann"]
    by_name = admin_client.get(f"{ADMIN}/", {"q": "bob"})
    assert [customer.name for customer in by_name.context["cl"].result_list] == ["Bob"]


# --- the read model trails the command side (full mode) ---------------------------------------
@pytest.mark.django_db
def test_a_customer_not_yet_in_the_read_model_redirects_to_the_list_saying_so(admin_client):
    # django_db (not transactional): on_commit never fires, so the read row is never projected,
    # just as in full mode before Kafka delivers the event.
    state = execute(c.RegisterCustomer(name="Ann Lagging"), meta())
    assert not CustomerView.objects.exists()

    response = admin_client.get(change_url(state["id"]), follow=True)

    assert response.redirect_chain == [(f"{ADMIN}/", 302)]
    assert "Saved; the customer will appear in a moment." in page_messages(response)

    unknown = admin_client.get(change_url(uuid.uuid4()), follow=True)
    assert unknown.redirect_chain[-1][0] == "/admin/"  # Django's own "doesn't exist" for a real miss
    assert any("doesn’t exist" in m for m in page_messages(unknown))


# --- who may do what --------------------------------------------------------------------------
@pytest.mark.django_db
def test_role_groups_get_the_customer_permissions_after_migrate():
    def codenames(group):
        return set(Permission.objects.filter(group__name=group, content_type__app_label="customers")
                   .values_list("codename", flat=True))

    assert codenames("manager") >= {"view_customerview", "add_customerview", "change_customerview",
                                    "delete_customerview"}
    assert codenames("cashier") == {"view_customerview"}
    assert Group.objects.filter(name__in=["manager", "cashier"]).count() == 2


@pytest.mark.usefixtures("embedded_delivery")
def test_a_staff_cashier_may_look_but_not_touch(client, cashier_user):
    cashier_user.is_staff = True
    cashier_user.save()
    client.force_login(cashier_user)
    customer_id = make_customer("Ann")

    assert client.get(f"{ADMIN}/").status_code == 200
    assert client.get(change_url(customer_id)).context["title"] == "View customer"
    assert client.get(f"{ADMIN}/add/").status_code == 403
    assert client.post(change_url(customer_id), form(name="Changed")).status_code == 403
    assert client.post(f"{ADMIN}/{customer_id}/delete/", {"post": "yes"}).status_code == 403
    assert event_types(customer_id) == ["CustomerRegistered"]


@pytest.mark.django_db
def test_a_manager_without_staff_status_cannot_enter_the_admin(client, manager_user):
    client.force_login(manager_user)
    response = client.get(f"{ADMIN}/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
