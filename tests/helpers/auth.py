"""Tokens for tests: a till-bound access token, as `POST /api/v1/auth/token/` with `till_id` gives.

`APIClient.force_authenticate(user)` leaves `request.auth` None (no claims), which the sales API
treats as a token without a till: fine for managers, refused for a cashier's sales writes. A
cashier in a test works at a till with `force_authenticate(user, token=till_token(user, till))`."""

from rest_framework_simplejwt.tokens import AccessToken


def till_token(user, till_id) -> AccessToken:
    token = AccessToken.for_user(user)
    token["till"] = str(till_id)
    return token


def at_till(client, user, till_id):
    """Authenticate `client` as `user` working at `till_id`; returns the client."""
    client.force_authenticate(user, token=till_token(user, till_id))
    return client
