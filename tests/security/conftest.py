"""Fixtures of the security tests: one user per role, real bearer tokens, a till."""

import uuid

import pytest

from tests.conftest import _make_user
from tests.helpers.throttling import clear_throttle_state, random_client_ip


@pytest.fixture
def role_users(db, django_user_model, cashier_user, manager_user, admin_user):
    from infrastructure.access.models import StoreAssignment

    store_manager = _make_user(django_user_model, "test-store-manager", group="manager")
    StoreAssignment.objects.create(user=store_manager, store_code="S1")
    return {"none": _make_user(django_user_model, "test-no-role"), "cashier": cashier_user,
            "store_manager": store_manager, "manager": manager_user, "admin": admin_user}


@pytest.fixture
def till_id():
    return uuid.uuid4()


@pytest.fixture
def bearer(till_id):
    """`bearer(user, till=...)`: an Authorization header with a real access token."""
    from tests.helpers.auth import till_token
    from rest_framework_simplejwt.tokens import AccessToken

    def make(user, till=None):
        token = till_token(user, till) if till else AccessToken.for_user(user)
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    return make


@pytest.fixture
def fresh_ip():
    """`fresh_ip()`: a new client address per call (throttle counters are per address); all forgotten after."""
    made = []

    def make():
        ip = random_client_ip()
        made.append(ip)
        return ip

    yield make
    clear_throttle_state(*made)


@pytest.fixture
def login_limits(settings):
    """A lockout after 3 failed logins (django-axes reads its settings at each attempt)."""
    settings.AXES_FAILURE_LIMIT = 3
    return settings
