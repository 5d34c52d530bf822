"""Bearer-token authentication: simplejwt's, refusing access tokens revoked by a logout.

A logout (`POST /api/v1/auth/logout/`) blacklists the refresh token (database) and puts the access
token's `jti` on a deny-list in the cache until the token would have expired anyway, so the
revocation takes effect at once in every process that shares the cache (Redis in full mode; in
embedded mode, the one process's memory); while Redis is down the check is skipped (fails open,
logged). Kept free of view imports: DRF imports it while its own
`views` module is still loading.
"""

import logging
import time

from django.core.cache import cache
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from infrastructure.http.throttling import CACHE_ERRORS

logger = logging.getLogger(__name__)

DENY_PREFIX = "jwt-denied:"


def deny_access_token(token) -> bool:
    """Put an access token's jti on the deny-list until the token expires by itself; False when
    the cache cannot be reached (the token then lapses by itself, within its 15 minutes)."""
    ttl = max(1, int(token["exp"] - time.time()))
    try:
        cache.set(DENY_PREFIX + str(token["jti"]), 1, timeout=ttl)
    except CACHE_ERRORS as exc:
        logger.warning("logged-out access token not put on the deny-list: the cache is unreachable (%s: %s)",
                       type(exc).__name__, exc)
        return False
    return True


def is_denied(token) -> bool:
    try:
        return bool(cache.get(DENY_PREFIX + str(token.get("jti"))))
    except CACHE_ERRORS as exc:
        # Fail open: tills keep selling while Redis is down. What lapses is only the early end of a
        # logged-out access token (15 min at most); its refresh token is blacklisted in the database.
        logger.warning("token deny-list not checked: the cache is unreachable (%s: %s)", type(exc).__name__, exc)
        return False


class DenyListJWTAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        if is_denied(token):
            raise InvalidToken({"detail": "This token was revoked (logged out).", "code": "token_revoked"})
        return token
