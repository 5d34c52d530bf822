"""The admin: staff only, CSRF enforced, and login attempts throttled per username and address."""

import pytest
from django.test import Client

from infrastructure.http.admin_login import reset

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

LOGIN = "/admin/login/?next=/admin/"


NAMES = ("test-admin", "test-cashier", "alice", "bob", "carol")


@pytest.fixture(autouse=True)
def forget_failures():
    """The counters live in the shared cache (Redis in a test run): forget this module's usernames."""
    for name in NAMES:
        reset(name)
    yield
    for name in NAMES:
        reset(name)


@pytest.fixture
def admin_limits(settings):
    settings.POS_ADMIN_LOGIN_ATTEMPTS = 3
    settings.POS_ADMIN_LOGIN_WINDOW = 60
    return settings


def post_login(client, username, password, ip):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_only_staff_may_log_in_to_the_admin(client, cashier_user, admin_user, fresh_ip):
    ip = fresh_ip()
    refused = post_login(client, cashier_user.username, cashier_user.plain_password, ip)
    assert refused.status_code == 200 and b"staff account" in refused.content  # the form again, with the error
    assert client.get("/admin/").status_code == 302

    ok = post_login(client, admin_user.username, admin_user.plain_password, ip)
    assert ok.status_code == 302 and client.get("/admin/").status_code == 200
    reset(cashier_user.username, ip)


def test_csrf_is_enforced_on_the_admin_login(admin_user, fresh_ip):
    client = Client(enforce_csrf_checks=True)

    response = post_login(client, admin_user.username, admin_user.plain_password, fresh_ip())

    assert response.status_code == 403 and b"CSRF" in response.content


def test_failed_admin_logins_are_throttled_per_username(client, admin_user, admin_limits, fresh_ip):
    for _ in range(3):
        assert post_login(client, admin_user.username, "wrong", fresh_ip()).status_code == 200

    blocked = post_login(client, admin_user.username, admin_user.plain_password, fresh_ip())  # even from elsewhere

    assert blocked.status_code == 429 and int(blocked["Retry-After"]) == 60
    assert client.get("/admin/").status_code == 302  # not logged in
    reset(admin_user.username)
    assert post_login(client, admin_user.username, admin_user.plain_password, fresh_ip()).status_code == 302


def test_failed_admin_logins_are_throttled_per_address(client, admin_user, admin_limits, fresh_ip):
    ip = fresh_ip()
    for name in ("alice", "bob", "carol"):
        assert post_login(client, name, "guess", ip).status_code == 200

    assert post_login(client, admin_user.username, admin_user.plain_password, ip).status_code == 429
    assert post_login(client, admin_user.username, admin_user.plain_password, fresh_ip()).status_code == 302
    reset("", ip)
    for name in ("alice", "bob", "carol"):
        reset(name)


def test_a_successful_login_clears_the_usernames_failures(client, admin_user, admin_limits, fresh_ip):
    for _ in range(2):
        post_login(client, admin_user.username, "wrong", fresh_ip())
    assert post_login(client, admin_user.username, admin_user.plain_password, fresh_ip()).status_code == 302
    client.logout()

    for _ in range(2):
        assert post_login(client, admin_user.username, "wrong", fresh_ip()).status_code == 200
    reset(admin_user.username)


def test_admin_login_fails_closed_while_its_counters_are_unreachable(client, admin_user, fresh_ip):
    # A real Redis client pointed at a port nothing listens on: what the app sees while Redis is down.
    # (A context manager, not the settings fixture: the counters' own fixture must reach the real cache.)
    from django.test import override_settings

    from tests.helpers.net import free_port

    unreachable = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
                               "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}}}
    with override_settings(CACHES=unreachable):
        refused = post_login(client, admin_user.username, admin_user.plain_password, fresh_ip())

    assert refused.status_code == 503 and int(refused["Retry-After"]) > 0
    assert "unavailable" in refused.content.decode()
    assert client.get("/admin/").status_code == 302  # not logged in
