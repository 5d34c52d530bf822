"""API clients per role, each from a client address of its own (so throttle counters are never
shared between tests). Registered for every test by tests/conftest.py."""

import pytest

from tests.helpers.throttling import clear_throttle_state, random_client_ip


@pytest.fixture
def make_client():
    """`make_client(user or None)`: a DRF APIClient, authenticated as `user` if given."""
    from rest_framework.test import APIClient

    made = []

    def make(user=None):
        ip = random_client_ip()
        clear_throttle_state(ip)
        client = APIClient(REMOTE_ADDR=ip)
        if user is not None:
            client.force_authenticate(user)
        made.append(ip)
        return client

    yield make
    clear_throttle_state(*made)


@pytest.fixture
def manager(make_client, manager_user):
    return make_client(manager_user)


@pytest.fixture
def cashier(make_client, cashier_user):
    return make_client(cashier_user)


@pytest.fixture
def anonymous(make_client):
    return make_client(None)
