"""The customers API end to end in one process: every endpoint, every validation error as
problem details naming the field, and who may do what. Events are delivered in-process after
each commit (embedded mode), so reads see the writes' effects."""

import uuid

import pytest

from contexts.customers.models import CustomerView
from tests.customers.support import (
    API, assert_problem, customer_event_count, event_types, events_of, make_customer, row, unique_email,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]

ADDRESS = {"line1": "1 Main  Street", "line2": "", "city": "Berlin", "postal_code": "10115", "country": "de"}


def detail_url(customer_id) -> str:
    return f"{API}/{customer_id}/"


def register(client, **fields):
    payload = {"name": "Ann Example", "email": unique_email("ann"), **fields}
    return client.post(f"{API}/", {k: v for k, v in payload.items() if v is not ...}, format="json")


# --- create -----------------------------------------------------------------------------------
def test_a_manager_registers_a_customer_and_gets_the_command_sides_state(manager, manager_user):
    response = register(manager, name="  Ann   Example ", phone="+49 (30) 123-4567", email="Ann@Example.COM",
                        address=ADDRESS)

    assert response.status_code == 201, response.content
    body = response.json()
    customer_id = uuid.UUID(body["id"])
    assert body == {
        "id": str(customer_id), "version": 1, "name": "Ann Example", "phone": "+49301234567",
        "email": "Ann@example.com", "points_balance": 0, "status": "active",
        "address": {"line1": "1 Main Street", "line2": "", "city": "Berlin", "postal_code": "10115",
                    "country": "DE"},
    }
    assert response["Location"].endswith(detail_url(customer_id))
    assert event_types(customer_id) == ["CustomerRegistered"]
    history = manager.get(f"{detail_url(customer_id)}history/").json()
    assert history[0]["user"] == manager_user.username

    shown = manager.get(detail_url(customer_id)).json()  # the read model, projected after commit
    assert {k: shown[k] for k in body} == body
    assert shown["registered_at"] and shown["updated_at"]


def test_only_the_name_is_required(manager):
    response = register(manager, name="Bob", email=...)
    assert response.status_code == 201, response.content
    assert (response.json()["phone"], response.json()["email"], response.json()["address"]) == (None, None, None)


def test_empty_optional_fields_mean_none(manager):
    response = register(manager, phone="", email=None, address=None)
    assert response.status_code == 201, response.content
    assert (response.json()["phone"], response.json()["email"]) == (None, None)


@pytest.mark.parametrize("fields, status, field", [
    # the shape of the request (400)
    ({"name": ...}, 400, "name"),
    ({"name": ["Ann"]}, 400, "name"),
    ({"address": "1 Main Street, Berlin"}, 400, "address.non_field_errors"),
    ({"address": {"city": "Berlin", "country": "DE"}}, 400, "address.line1"),
    ({"email": {"a": 1}}, 400, "email"),
    # the rules of the domain (422)
    ({"name": "   "}, 422, "name"),
    ({"name": "x" * 201}, 422, "name"),
    ({"phone": "12345"}, 422, "phone"),
    ({"phone": "+1234567890123456"}, 422, "phone"),
    ({"phone": "call me maybe"}, 422, "phone"),
    ({"email": "ann@"}, 422, "email"),
    ({"email": "not an email"}, 422, "email"),
    ({"address": {**ADDRESS, "line1": " "}}, 422, "address.line1"),
    ({"address": {**ADDRESS, "city": ""}}, 422, "address.city"),
    ({"address": {**ADDRESS, "country": "Germany"}}, 422, "address.country"),
    ({"address": {**ADDRESS, "postal_code": "10115!"}}, 422, "address.postal_code"),
])
def test_invalid_input_is_a_problem_naming_the_field_and_writes_nothing(manager, fields, status, field):
    before = customer_event_count()
    response = register(manager, **fields)

    if field == "address.non_field_errors":  # DRF names a wrong-typed nested object after itself
        field = "address"
    body = assert_problem(response, status, field=field)
    assert body["detail"]
    assert customer_event_count() == before
    assert not CustomerView.objects.exists()


def test_a_taken_email_is_a_409_on_email_ignoring_case(manager):
    email = unique_email("ann")
    assert register(manager, email=email).status_code == 201

    assert_problem(register(manager, email=email.upper(), name="Other"), 409, field="email", code="email-taken")
    assert CustomerView.objects.count() == 1


def test_an_email_is_free_again_once_its_customer_is_removed(manager):
    email = unique_email("ann")
    first = register(manager, email=email).json()["id"]
    assert manager.delete(detail_url(first)).status_code == 200

    again = register(manager, email=email, name="Ann Again")
    assert again.status_code == 201, again.content


# --- read -------------------------------------------------------------------------------------
def test_list_is_paginated_and_ordered_by_name(manager):
    for name in ("Carla", "Anton", "Bert"):
        make_customer(name)

    body = manager.get(f"{API}/").json()

    assert body["count"] == 3 and body["next"] is None and body["previous"] is None
    assert [c["name"] for c in body["results"]] == ["Anton", "Bert", "Carla"]
    assert [c["name"] for c in manager.get(f"{API}/?ordering=-name").json()["results"]] == ["Carla", "Bert", "Anton"]
    assert_problem(manager.get(f"{API}/?page=2"), 404)


def test_list_pages_hold_fifty(manager):
    for index in range(51):
        make_customer(f"Customer {index:02d}", email=None)

    first = manager.get(f"{API}/").json()
    second = manager.get(f"{API}/?page=2").json()

    assert first["count"] == 51 and len(first["results"]) == 50 and first["next"].endswith("?page=2")
    assert [c["name"] for c in second["results"]] == ["Customer 50"] and second["next"] is None


def test_removed_customers_are_listed_only_when_asked_for(manager):
    active = make_customer("Active")
    removed = make_customer("Removed", removed=True)

    def ids(query=""):
        return {c["id"] for c in manager.get(f"{API}/{query}").json()["results"]}

    assert ids() == {str(active)} == ids("?status=active")
    assert ids("?status=removed") == {str(removed)}
    assert ids("?status=all") == {str(active), str(removed)}
    assert_problem(manager.get(f"{API}/?status=deleted"), 400, field="status")


def test_a_till_syncs_the_customers_changed_since_its_last_sync_removed_ones_included(manager):
    unchanged, renamed, removed = make_customer("Unchanged"), make_customer("Renamed"), make_customer("Removed")
    since = CustomerView.objects.order_by("-updated_at").values_list("updated_at", flat=True).first().isoformat()
    assert manager.patch(detail_url(renamed), {"name": "Renamed Again"}, format="json").status_code == 200
    assert manager.delete(detail_url(removed)).status_code == 200
    changed = manager.get(f"{API}/", {"status": "all", "ordering": "updated_at", "updated_after": since}).json()
    rows = [(c["id"], c["name"], c["status"]) for c in changed["results"]]
    # at or after the last sync's time: the last of the three registered may come again (harmless)
    assert rows[-2:] == [(str(renamed), "Renamed Again", "active"), (str(removed), "Removed", "removed")]
    assert str(unchanged) not in {row[0] for row in rows}
    assert_problem(manager.get(f"{API}/", {"updated_after": "yesterday"}), 400, field="updated_after")


@pytest.mark.parametrize("search, expected", [
    ("ann", {"Ann Example", "Joanna Other"}),
    ("ANN EXA", {"Ann Example"}),  # every word must match
    ("ann.example@", {"Ann Example"}),  # email
    ("+49 (30) 123", {"Ann Example"}),  # a phone number, typed with punctuation
    ("030-999", {"Joanna Other"}),
    ("4930123-4567", {"Ann Example"}),
    ("nobody", set()),
])
def test_search_by_name_email_or_phone(manager, search, expected):
    make_customer("Ann Example", email="ann.example@example.com", phone="+49 30 1234567")
    make_customer("Joanna Other", email="jo@mail.test", phone="030 999 888")
    make_customer("Zed", email="zed@mail.test", phone="+44 20 7946 0018")

    response = manager.get(f"{API}/", {"search": search})

    assert response.status_code == 200
    assert {c["name"] for c in response.json()["results"]} == expected


def test_detail_of_an_unknown_customer_is_a_404_problem(manager):
    assert_problem(manager.get(detail_url(uuid.uuid4())), 404)
    assert_problem(manager.get(f"{API}/not-a-uuid/"), 404)


def test_detail_shows_a_removed_customer_with_its_status(manager):
    customer_id = make_customer("Gone", removed=True)
    body = manager.get(detail_url(customer_id)).json()
    assert (body["status"], body["version"]) == ("removed", 2)


def test_ids_are_accepted_in_upper_case(manager):
    customer_id = make_customer()
    assert manager.get(detail_url(str(customer_id).upper())).json()["id"] == str(customer_id)
    assert len(manager.get(f"{detail_url(str(customer_id).upper())}history/").json()) == 1


# --- update -----------------------------------------------------------------------------------
def test_put_replaces_the_details_and_clears_what_is_left_out(manager):
    customer_id = make_customer("Ann", phone="0301234567", address=ADDRESS)

    response = manager.put(detail_url(customer_id), {"name": "Ann Other", "email": "ann.other@example.com"},
                           format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["email"], body["phone"], body["address"], body["version"]) == (
        "Ann Other", "ann.other@example.com", None, None, 2)
    assert events_of(customer_id)[-1] == ("CustomerUpdated", {
        "customer_id": str(customer_id), "name": "Ann Other", "phone": None, "email": "ann.other@example.com",
        "address": None})
    shown = manager.get(detail_url(customer_id)).json()
    assert (shown["name"], shown["phone"], shown["version"]) == ("Ann Other", None, 2)


def test_patch_changes_only_the_given_fields(manager):
    customer_id = make_customer("Ann", phone="0301234567", address=ADDRESS)
    email = row(customer_id).email

    response = manager.patch(detail_url(customer_id), {"phone": "+49 170 1234567"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["phone"], body["email"], body["address"]["city"]) == (
        "Ann", "+491701234567", email, "Berlin")
    shown = manager.get(detail_url(customer_id), {"search": "0170"}).json()
    assert shown["phone"] == "+491701234567"
    assert manager.get(f"{API}/", {"search": "170 123"}).json()["count"] == 1


def test_patch_to_the_same_details_records_nothing(manager):
    customer_id = make_customer("Ann", email="ann.same@example.com")

    response = manager.patch(detail_url(customer_id), {"name": " Ann ", "email": "ann.same@EXAMPLE.com"},
                             format="json")

    assert response.status_code == 200 and response.json()["version"] == 1
    assert event_types(customer_id) == ["CustomerRegistered"]


@pytest.mark.parametrize("fields, status, field", [
    ({"name": ""}, 422, "name"),
    ({"phone": "123"}, 422, "phone"),
    ({"email": "nope@"}, 422, "email"),
    ({"address": {"line1": "x", "city": "y", "country": "DEU"}}, 422, "address.country"),
    ({"name": ["x"]}, 400, "name"),
])
def test_invalid_updates_are_problems_naming_the_field(manager, fields, status, field):
    customer_id = make_customer()
    assert_problem(manager.patch(detail_url(customer_id), fields, format="json"), status, field=field)
    assert event_types(customer_id) == ["CustomerRegistered"]


def test_put_needs_a_name(manager):
    customer_id = make_customer()
    assert_problem(manager.put(detail_url(customer_id), {"email": "x@example.com"}, format="json"), 400,
                   field="name")


def test_updating_to_a_taken_email_is_a_409_on_email(manager):
    taken = unique_email("taken")
    make_customer("Holder", email=taken)
    customer_id = make_customer("Ann")

    assert_problem(manager.patch(detail_url(customer_id), {"email": taken}, format="json"), 409, field="email")
    assert event_types(customer_id) == ["CustomerRegistered"]


def test_changing_the_email_frees_the_old_one(manager):
    old = unique_email("old")
    customer_id = make_customer("Ann", email=old)
    assert manager.patch(detail_url(customer_id), {"email": unique_email("new")}, format="json").status_code == 200

    assert register(manager, email=old, name="Bea").status_code == 201


def test_updating_an_unknown_customer_is_a_404(manager):
    assert_problem(manager.patch(detail_url(uuid.uuid4()), {"name": "X"}, format="json"), 404)


def test_updating_a_removed_customer_is_a_409(manager):
    customer_id = make_customer(removed=True)
    assert_problem(manager.patch(detail_url(customer_id), {"name": "Back"}, format="json"), 409,
                   code="customer-removed")


# --- delete (remove) --------------------------------------------------------------------------
def test_delete_removes_the_customer_and_keeps_the_history(manager, manager_user):
    customer_id = make_customer()

    response = manager.delete(f"{detail_url(customer_id)}?reason=moved%20away")

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["version"]) == ("removed", 2)
    assert events_of(customer_id)[-1] == ("CustomerRemoved", {"customer_id": str(customer_id),
                                                              "reason": "moved away"})
    assert row(customer_id).status == "removed"
    assert manager.get(f"{API}/").json()["count"] == 0
    history = manager.get(f"{detail_url(customer_id)}history/").json()
    assert [(e["event_type"], e["user"]) for e in history] == [
        ("CustomerRegistered", "test-setup"), ("CustomerRemoved", manager_user.username)]


def test_delete_twice_is_a_409_and_an_unknown_customer_a_404(manager):
    customer_id = make_customer()
    assert manager.delete(detail_url(customer_id)).status_code == 200
    assert_problem(manager.delete(detail_url(customer_id)), 409, code="customer-removed")
    assert_problem(manager.delete(detail_url(uuid.uuid4())), 404)


def test_a_too_long_removal_reason_is_a_400(manager):
    customer_id = make_customer()
    assert_problem(manager.delete(f"{detail_url(customer_id)}?reason={'x' * 501}"), 400, field="reason")
    assert event_types(customer_id) == ["CustomerRegistered"]


# --- history ----------------------------------------------------------------------------------
def test_history_lists_the_events_oldest_first_with_who_did_it(manager):
    customer_id = make_customer("Ann")
    manager.patch(detail_url(customer_id), {"name": "Ann B"}, format="json", HTTP_X_CORRELATION_ID="corr-42")

    history = manager.get(f"{detail_url(customer_id)}history/").json()

    assert [(e["version"], e["event_type"]) for e in history] == [(1, "CustomerRegistered"), (2, "CustomerUpdated")]
    assert history[1]["data"]["name"] == "Ann B" and history[1]["correlation_id"] == "corr-42"
    assert history[1]["user"] == "test-manager" and history[1]["request_id"]


def test_history_of_an_unknown_customer_is_a_404(manager):
    assert_problem(manager.get(f"{detail_url(uuid.uuid4())}history/"), 404)


# --- who may do what --------------------------------------------------------------------------
READS = {"list", "retrieve", "history"}
REQUESTS = {
    "list": ("get", lambda cid: f"{API}/", None, 200),
    "retrieve": ("get", lambda cid: detail_url(cid), None, 200),
    "history": ("get", lambda cid: f"{detail_url(cid)}history/", None, 200),
    "create": ("post", lambda cid: f"{API}/", {"name": "New Person"}, 201),
    "update": ("put", lambda cid: detail_url(cid), {"name": "Replaced"}, 200),
    "partial_update": ("patch", lambda cid: detail_url(cid), {"name": "Patched"}, 200),
    "destroy": ("delete", lambda cid: detail_url(cid), None, 200),
}
ROLES = {None: None, "cashier": "cashier_user", "manager": "manager_user", "admin": "admin_user"}


def expected_status(role, action) -> int:
    if role is None:
        return 401
    if role == "cashier" and action not in READS:
        return 403
    return REQUESTS[action][3]


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", list(REQUESTS))
def test_permission_matrix(request, make_client, role, action):
    user = request.getfixturevalue(ROLES[role]) if ROLES[role] else None
    client = make_client(user)
    customer_id = make_customer()
    method, url, payload, _ = REQUESTS[action]
    before = customer_event_count()

    response = getattr(client, method)(url(customer_id), payload, format="json")

    status = expected_status(role, action)
    if status >= 400:
        assert_problem(response, status)
        assert customer_event_count() == before  # a refused request changes nothing
    else:
        assert response.status_code == status, response.content
        assert customer_event_count() == before + (0 if action in READS else 1)
