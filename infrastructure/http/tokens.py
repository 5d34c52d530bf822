"""Our JWT classes: simplejwt's, with a login's fixed maximum age.

A login (`POST auth/token/`) stamps its refresh token with `auth_time`, the moment the password
was given; every refresh copies it (rotation keeps the claims). A rotated refresh token never
expires later than `auth_time + POS_JWT_MAX_LOGIN_HOURS`, and a refresh after that is refused
(auth_views.py), so a stolen refresh token cannot be kept alive for ever by refreshing it.
"""

import time

from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

AUTH_TIME_CLAIM = "auth_time"


def login_ends_at(token) -> float | None:
    """The epoch second after which this login is over, or None for a token without `auth_time`."""
    auth_time = token.get(AUTH_TIME_CLAIM)
    if not isinstance(auth_time, (int, float)):
        return None
    return auth_time + settings.POS_JWT_MAX_LOGIN_HOURS * 3600


class PosRefreshToken(RefreshToken):
    access_token_class = AccessToken

    @classmethod
    def for_user(cls, user):
        token = super().for_user(user)
        token[AUTH_TIME_CLAIM] = int(time.time())
        return token

    def set_exp(self, claim="exp", from_time=None, lifetime=None):
        super().set_exp(claim, from_time, lifetime)
        ends = login_ends_at(self) if claim == "exp" else None
        if ends is not None and self.payload[claim] > ends:
            self.payload[claim] = int(ends)

    @property
    def login_expired(self) -> bool:
        ends = login_ends_at(self)
        return ends is not None and self.current_time.timestamp() >= ends  # simplejwt's clock, as for `exp`
