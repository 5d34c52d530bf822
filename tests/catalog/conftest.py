"""Fixtures of the catalog's stock-per-store tests."""

import pytest

from tests.helpers.stores import register_store


@pytest.fixture
def stores(db):
    """Stores BER (Berlin) and NYC (New York), known to the catalog (delivered in-process)."""
    register_store("BER", "Berlin", time_zone="Europe/Berlin")
    register_store("NYC", "New York", time_zone="America/New_York")
    return ("BER", "NYC")


@pytest.fixture
def manager(api_client, manager_user):
    """A head-office manager's API client."""
    api_client.force_authenticate(manager_user)
    return api_client
