"""JWT lifecycle: short-lived access tokens, refresh with rotation (a used refresh token is dead),
logout revoking both tokens at once, and tokens bound to a till."""

import json
import uuid
from datetime import timedelta

import pytest
from django.conf import settings

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/auth/me/"


def login(api_client, user, **extra):
    response = api_client.post(TOKEN_URL, {"username": user.username, "password": user.plain_password, **extra},
                               format="json")
    assert response.status_code == 200, response.content
    return response.json()


def me(api_client, access):
    return api_client.get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {access}")


def decode(token):
    from rest_framework_simplejwt.tokens import UntypedToken

    return UntypedToken(token).payload


def test_access_tokens_are_short_lived_and_refresh_tokens_rotate():
    jwt = settings.SIMPLE_JWT
    assert jwt["ACCESS_TOKEN_LIFETIME"] <= timedelta(minutes=15)
    assert jwt["ROTATE_REFRESH_TOKENS"] and jwt["BLACKLIST_AFTER_ROTATION"]
    assert "rest_framework_simplejwt.token_blacklist" in settings.INSTALLED_APPS


def test_refresh_rotates_and_the_old_refresh_token_is_dead(api_client, cashier_user):
    tokens = login(api_client, cashier_user)

    first = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200, first.content
    assert first.json()["refresh"] != tokens["refresh"]

    replay = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert replay.status_code == 401 and replay["Content-Type"].startswith("application/problem+json")
    assert me(api_client, first.json()["access"]).status_code == 200
    assert api_client.post(REFRESH_URL, {"refresh": first.json()["refresh"]}, format="json").status_code == 200


def test_logout_revokes_the_refresh_and_the_access_token_at_once(api_client, cashier_user):
    tokens = login(api_client, cashier_user)
    assert me(api_client, tokens["access"]).status_code == 200

    out = api_client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}, format="json",
                          HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    assert out.status_code == 205, out.content
    gone = me(api_client, tokens["access"])
    assert gone.status_code == 401 and "revoked" in json.loads(gone.content)["detail"]
    assert api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_logout_needs_a_login_and_a_refresh_token_of_ones_own(api_client, cashier_user, manager_user):
    mine, theirs = login(api_client, cashier_user), login(api_client, manager_user)

    assert api_client.post(LOGOUT_URL, {"refresh": mine["refresh"]}, format="json").status_code == 401
    auth = {"HTTP_AUTHORIZATION": f"Bearer {mine['access']}"}
    assert api_client.post(LOGOUT_URL, {}, format="json", **auth).status_code == 400
    assert api_client.post(LOGOUT_URL, {"refresh": "garbage"}, format="json", **auth).status_code == 401
    other = api_client.post(LOGOUT_URL, {"refresh": theirs["refresh"]}, format="json", **auth)
    assert other.status_code == 400
    assert api_client.post(REFRESH_URL, {"refresh": theirs["refresh"]}, format="json").status_code == 200


def test_a_till_login_binds_both_tokens_to_the_till_and_refresh_keeps_it(api_client, cashier_user):
    till = str(uuid.uuid4())
    tokens = login(api_client, cashier_user, till_id=till)

    assert tokens["till"] == till
    assert decode(tokens["access"])["till"] == till == decode(tokens["refresh"])["till"]
    assert me(api_client, tokens["access"]).json()["till"] == till
    refreshed = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json").json()
    assert decode(refreshed["access"])["till"] == till == decode(refreshed["refresh"])["till"]


def test_a_login_without_a_till_has_no_till_claim(api_client, manager_user):
    tokens = login(api_client, manager_user)

    assert "till" not in decode(tokens["access"]) and "till" not in me(api_client, tokens["access"]).json()


def test_a_bad_till_id_is_400_problem_details(api_client, cashier_user):
    response = api_client.post(TOKEN_URL, {"username": cashier_user.username, "password": cashier_user.plain_password,
                                           "till_id": "till-7"}, format="json")

    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "till_id"


def test_a_forged_till_claim_is_refused(api_client, cashier_user):
    """The claim is signed: editing it in the token breaks the signature."""
    import base64

    access = login(api_client, cashier_user, till_id=str(uuid.uuid4()))["access"]
    header, payload, signature = access.split(".")
    claims = decode(access)
    claims["till"] = str(uuid.uuid4())
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    assert me(api_client, f"{header}.{forged_payload}.{signature}").status_code == 401


# --- revocation, maximum login age ------------------------------------------------------------
def test_a_password_change_ends_every_token_issued_before_it(api_client, cashier_user):
    tokens = login(api_client, cashier_user)
    cashier_user.set_password("a-new-password-4711")
    cashier_user.save()

    assert me(api_client, tokens["access"]).status_code == 401
    refused = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert refused.status_code == 401 and "password" in refused.json()["detail"]
    cashier_user.plain_password = "a-new-password-4711"
    assert me(api_client, login(api_client, cashier_user)["access"]).status_code == 200


def test_deactivating_a_user_ends_their_tokens(api_client, cashier_user):
    tokens = login(api_client, cashier_user)
    cashier_user.is_active = False
    cashier_user.save()

    assert me(api_client, tokens["access"]).status_code == 401
    assert api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_refreshing_never_outlives_the_logins_maximum_age(api_client, cashier_user, settings, monkeypatch):
    """Each rotation used to push the refresh token's expiry 12 h forward, for ever."""
    settings.POS_JWT_MAX_LOGIN_HOURS = 1
    tokens = login(api_client, cashier_user)
    logged_in_at = decode(tokens["refresh"])["auth_time"]
    refreshed = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json").json()
    assert decode(refreshed["refresh"])["exp"] <= logged_in_at + 3600  # capped, not now + 12 h
    assert decode(refreshed["refresh"])["auth_time"] == logged_in_at  # the login's time travels along

    untouched = login(api_client, cashier_user)["refresh"]  # issued for 12 h, longer than the login may last
    from rest_framework_simplejwt import tokens as simplejwt_tokens

    later = simplejwt_tokens.aware_utcnow() + timedelta(seconds=3601)
    monkeypatch.setattr(simplejwt_tokens, "aware_utcnow", lambda: later)
    late = api_client.post(REFRESH_URL, {"refresh": untouched}, format="json")
    assert late.status_code == 401 and "log in again" in late.json()["detail"], late.content


def test_refreshing_the_token_of_a_deleted_user_is_401_not_500(api_client, cashier_user):
    tokens = login(api_client, cashier_user)
    cashier_user.delete()

    response = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 401 and response["Content-Type"].startswith("application/problem+json")


def test_logging_out_while_the_cache_is_down_still_revokes_the_refresh_token(api_client, cashier_user):
    from django.test import override_settings

    from tests.helpers.net import free_port

    tokens = login(api_client, cashier_user)
    unreachable = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
                               "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}}}
    with override_settings(CACHES=unreachable):
        out = api_client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}, format="json",
                              HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    assert out.status_code == 205, out.content
    assert api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json").status_code == 401
