"""Store scope on the real login endpoint and the sales API: a cashier logs in and works only at
tills of their stores; a store manager may not change stores (head office only) nor act on
another store's till; head office may."""

import uuid

import pytest

from contexts.sales import commands as sal
from infrastructure.access.models import StoreAssignment
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from tests.conftest import _make_user
from tests.helpers.auth import at_till
from tests.helpers.stores import register_store

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]


@pytest.fixture
def tills(db):
    """One till in store BER and one in NYC."""
    ids = {"BER": uuid.uuid4(), "NYC": uuid.uuid4()}
    for code, till_id in ids.items():
        register_store(code, code)
        execute(sal.RegisterTill(till_id=till_id, name=f"Till {code}", store_code=code), Metadata.new(user="test-setup"))
    return ids


def _staff(django_user_model, username, group, *stores):
    user = _make_user(django_user_model, username, group=group)
    for code in stores:
        StoreAssignment.objects.create(user=user, store_code=code)
    return user


def login(api_client, user, till_id):
    return api_client.post("/api/v1/auth/token/", {"username": user.username, "password": user.plain_password,
                                                   "till_id": str(till_id)}, format="json")


def test_a_cashier_logs_in_only_at_tills_of_their_stores(api_client, django_user_model, tills):
    berliner = _staff(django_user_model, "berliner", "cashier", "BER")
    assert login(api_client, berliner, tills["BER"]).status_code == 200
    refused = login(api_client, berliner, tills["NYC"])
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/store-out-of-scope/")
    assert "NYC" in refused.json()["detail"]


def test_a_token_of_a_till_in_a_store_the_cashier_left_stops_working(make_client, django_user_model, tills):
    cashier = _staff(django_user_model, "mover", "cashier", "NYC")
    client = at_till(make_client(None), cashier, tills["NYC"])
    opened = client.post(f"/api/v1/sales/tills/{tills['NYC']}/open/", {"opening_float": "100.00"}, format="json")
    assert opened.status_code in (200, 201), opened.content
    StoreAssignment.objects.filter(user=cashier).update(store_code="BER")  # moved to Berlin
    refused = client.post(f"/api/v1/sales/tills/{tills['NYC']}/close/", {"counted": {"cash": "100.00"}}, format="json")
    assert refused.status_code == 403 and refused.json()["type"].endswith("/store-out-of-scope/")


def test_a_store_manager_reads_stores_but_only_head_office_changes_them(make_client, django_user_model, manager):
    from tests.stores.support import API, BERLIN, register_store

    register_store()
    store_manager = make_client(_staff(django_user_model, "ber-mgr", "manager", "BER"))
    assert store_manager.get(f"{API}/BER/").status_code == 200
    refused = store_manager.patch(f"{API}/BER/", {"name": "Mine now"}, format="json")
    assert refused.status_code == 403
    assert store_manager.post(f"{API}/", {**BERLIN, "code": "B2"}, format="json").status_code == 403
    assert manager.patch(f"{API}/BER/", {"name": "Renamed by head office"}, format="json").status_code == 200


def test_a_store_manager_acts_only_on_their_stores_tills(make_client, django_user_model, tills):
    store_manager = make_client(_staff(django_user_model, "nyc-mgr", "manager", "NYC"))
    ok = store_manager.post(f"/api/v1/sales/tills/{tills['NYC']}/open/", {"opening_float": "50.00"}, format="json")
    assert ok.status_code in (200, 201), ok.content
    refused = store_manager.post(f"/api/v1/sales/tills/{tills['BER']}/open/", {"opening_float": "50.00"},
                                 format="json")
    assert refused.status_code == 403 and refused.json()["type"].endswith("/store-out-of-scope/")
