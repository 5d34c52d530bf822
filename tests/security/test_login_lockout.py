"""API login (`POST /api/v1/auth/token/`): failed attempts are locked out per username and per
client address (django-axes, counters in the database), successful logins are never counted, and
token refresh is throttled per user, not per address (a shop's tills share one address)."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"


def login(client, username, password, ip):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=ip)


def assert_locked(response):
    assert response.status_code == 429, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert int(response["Retry-After"]) > 0 and "login-locked" in response.json()["type"]


def test_failed_logins_lock_the_username_from_every_address(api_client, cashier_user, login_limits, fresh_ip):
    assert [login(api_client, cashier_user.username, "guess", fresh_ip()).status_code for _ in range(2)] == [401] * 2
    assert_locked(login(api_client, f"  {cashier_user.username.upper()} ", "guess", fresh_ip()))

    assert_locked(login(api_client, cashier_user.username, cashier_user.plain_password, fresh_ip()))


def test_a_fullwidth_spelling_counts_against_the_username(api_client, cashier_user, login_limits, fresh_ip):
    """NFKC makes a fullwidth name the ASCII one: its failures are the username's (as at the admin)."""
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in cashier_user.username)
    assert fullwidth != cashier_user.username
    for _ in range(2):
        assert login(api_client, fullwidth, "guess", fresh_ip()).status_code == 401
    assert_locked(login(api_client, f" {fullwidth}", "guess", fresh_ip()))

    assert_locked(login(api_client, cashier_user.username, cashier_user.plain_password, fresh_ip()))


def test_failed_logins_lock_the_address_for_every_username(api_client, cashier_user, manager_user, login_limits, fresh_ip):
    ip = fresh_ip()
    for name in ("alice", "bob"):
        assert login(api_client, name, "guess", ip).status_code == 401
    assert_locked(login(api_client, "carol", "guess", ip))

    assert_locked(login(api_client, manager_user.username, manager_user.plain_password, ip))
    assert login(api_client, manager_user.username, manager_user.plain_password, fresh_ip()).status_code == 200


def test_successful_logins_are_not_counted_so_a_shops_tills_all_log_in(api_client, cashier_user, login_limits, fresh_ip):
    """31 tills behind one address log in at opening, a few cashiers mistyping once: nobody waits."""
    shop = fresh_ip()
    assert login(api_client, cashier_user.username, "typo", shop).status_code == 401
    statuses = [login(api_client, cashier_user.username, cashier_user.plain_password, shop).status_code
                for _ in range(31)]
    assert statuses == [200] * 31


def test_refresh_is_throttled_per_user_not_per_address(api_client, cashier_user, manager_user, monkeypatch,
                                                       fresh_ip):
    from django.core.cache import cache

    from infrastructure.http.throttling import RefreshThrottle

    monkeypatch.setattr(RefreshThrottle, "THROTTLE_RATES", {"refresh": "3/min"})
    shop = fresh_ip()
    keys = [f"throttle_refresh_user-{cashier_user.pk}", f"throttle_refresh_user-{manager_user.pk}",
            f"throttle_refresh_{shop}"]
    cache.delete_many(keys)
    try:
        # Garbage from the shop's address uses up the address's count for bad tokens...
        for _ in range(4):
            api_client.post(REFRESH_URL, {"refresh": "not-a-token"}, format="json", REMOTE_ADDR=shop)
        # ...but a till with a valid refresh token, behind the same address, refreshes.
        refresh = login(api_client, manager_user.username, manager_user.plain_password, fresh_ip()).json()["refresh"]
        for _ in range(3):
            answer = api_client.post(REFRESH_URL, {"refresh": refresh}, format="json", REMOTE_ADDR=shop)
            assert answer.status_code == 200, answer.content
            refresh = answer.json()["refresh"]
        # One user refreshing in a loop is bounded, from any address.
        looping = api_client.post(REFRESH_URL, {"refresh": refresh}, format="json", REMOTE_ADDR=fresh_ip())
        assert looping.status_code == 429 and int(looping["Retry-After"]) > 0
        # Another user is not affected.
        other = login(api_client, cashier_user.username, cashier_user.plain_password, shop).json()["refresh"]
        assert api_client.post(REFRESH_URL, {"refresh": other}, format="json", REMOTE_ADDR=shop).status_code == 200
    finally:
        cache.delete_many(keys)
