"""The admin: staff only, CSRF enforced, and failed logins locked out per username and address by
django-axes (its counters are in the database: each test's transaction forgets them)."""

import pytest
from django.test import Client

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

LOGIN = "/admin/login/?next=/admin/"


def post_login(client, username, password, ip):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_only_staff_may_log_in_to_the_admin(client, cashier_user, admin_user, fresh_ip):
    ip = fresh_ip()
    refused = post_login(client, cashier_user.username, cashier_user.plain_password, ip)
    # the form again, with the error: a cashier is sent to the till
    assert refused.status_code == 200 and "Cashiers use the till" in refused.content.decode()
    assert client.get("/admin/").status_code == 302

    ok = post_login(client, admin_user.username, admin_user.plain_password, ip)
    assert ok.status_code == 302 and client.get("/admin/").status_code == 200


def test_csrf_is_enforced_on_the_admin_login(admin_user, fresh_ip):
    client = Client(enforce_csrf_checks=True)

    response = post_login(client, admin_user.username, admin_user.plain_password, fresh_ip())

    assert response.status_code == 403 and b"CSRF" in response.content


def test_failed_admin_logins_are_locked_out_per_username(client, admin_user, login_limits, fresh_ip):
    for _ in range(2):
        assert post_login(client, admin_user.username, "wrong", fresh_ip()).status_code == 200
    assert post_login(client, admin_user.username, "wrong", fresh_ip()).status_code == 429  # the third

    blocked = post_login(client, admin_user.username, admin_user.plain_password, fresh_ip())  # even from elsewhere

    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) == int(login_limits.AXES_COOLOFF_TIME.total_seconds())
    assert client.get("/admin/").status_code == 302  # not logged in


@pytest.mark.parametrize("name", [" test-admin", "test-admin ", "TEST-ADMIN", "\uff54\uff45\uff53\uff54-admin"])
def test_spelling_the_username_differently_does_not_escape_its_lockout(client, admin_user, login_limits,
                                                                        fresh_ip, name):
    """Django's login form strips and NFKC-normalises the username: " test-admin", "test-admin " and
    a fullwidth "ｔｅｓｔ-admin" are all attempts at test-admin, and count as such."""
    assert admin_user.username == "test-admin"
    for _ in range(3):
        post_login(client, name, "wrong", fresh_ip())

    assert post_login(client, admin_user.username, admin_user.plain_password, fresh_ip()).status_code == 429


def test_failed_admin_logins_are_locked_out_per_address(client, admin_user, login_limits, fresh_ip):
    ip = fresh_ip()
    for name in ("alice", "bob"):
        assert post_login(client, name, "guess", ip).status_code == 200
    assert post_login(client, "carol", "guess", ip).status_code == 429

    assert post_login(client, admin_user.username, admin_user.plain_password, ip).status_code == 429
    assert post_login(client, admin_user.username, admin_user.plain_password, fresh_ip()).status_code == 302


def test_successful_admin_logins_are_not_counted(client, admin_user, login_limits, fresh_ip):
    ip = fresh_ip()
    for _ in range(5):
        assert post_login(client, admin_user.username, admin_user.plain_password, ip).status_code == 302
        client.logout()


def test_admin_login_works_while_the_cache_is_unreachable(client, admin_user, fresh_ip):
    """The lockout's counters are in the database: a Redis outage neither opens nor closes the login."""
    from django.test import override_settings

    from tests.helpers.net import free_port

    unreachable = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
                               "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}}}
    with override_settings(CACHES=unreachable, AXES_FAILURE_LIMIT=2):
        ip = fresh_ip()
        assert post_login(client, admin_user.username, "wrong", ip).status_code == 200
        assert post_login(client, admin_user.username, "wrong", ip).status_code == 429
        assert post_login(client, admin_user.username, admin_user.plain_password, fresh_ip()).status_code == 429
