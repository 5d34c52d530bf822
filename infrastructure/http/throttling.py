"""DRF's throttles, told what to do when their counters (the cache: Redis in full mode) cannot be
reached, instead of failing the request with a 500.

- The API throttles and token refresh *fail open*: a till keeps selling while Redis is down. The
  gateway's own per-client rate limits (deploy/nginx/gateway.conf) still bound every client, and a
  refresh token is a signed token, not something to guess at speed.
- Password login is not throttled here: django-axes counts its failures in the database
  (settings AXES_*, infrastructure/http/login_lockout.py), so it needs no cache.
"""

import logging

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import throttling

logger = logging.getLogger(__name__)

#: What the cache raises while Redis is down or does not answer (socket timeouts in settings.CACHES).
CACHE_ERRORS = (RedisConnectionError, RedisTimeoutError)


class FailOpenMixin:
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            logger.warning("throttle %s skipped: the cache is unreachable (%s: %s)", type(self).__name__,
                           type(exc).__name__, exc)
            return True


class AnonRateThrottle(FailOpenMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FailOpenMixin, throttling.UserRateThrottle):
    pass


class RefreshThrottle(FailOpenMixin, throttling.SimpleRateThrottle):
    """Token refresh, counted per user for a valid refresh token (a user's tills share the count,
    whatever their address), per client address for anything else. An attacker's bad requests
    never use up a shop's address, and one user cannot refresh in a loop."""

    scope = "refresh"

    def get_cache_key(self, request, view):
        # imported here: DRF loads this module (a default throttle) before simplejwt can be imported
        from rest_framework_simplejwt.exceptions import TokenError
        from rest_framework_simplejwt.settings import api_settings as jwt_settings
        from rest_framework_simplejwt.tokens import RefreshToken

        raw = request.data.get("refresh") if hasattr(request.data, "get") else None
        ident = None
        if isinstance(raw, str) and raw:
            try:
                ident = "user-" + str(RefreshToken(raw).get(jwt_settings.USER_ID_CLAIM))
            except TokenError:
                pass
        return self.cache_format % {"scope": self.scope, "ident": ident or self.get_ident(request)}
