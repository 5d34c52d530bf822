"""DRF's throttles, told what to do when their counters (the cache: Redis in full mode) cannot be
reached, instead of failing the request with a 500.

- The API throttles and token refresh *fail open*: a till keeps selling while Redis is down. The
  gateway's own per-client rate limits (deploy/nginx/gateway.conf) still bound every client, and a
  refresh token is a signed token, not something to guess at speed.
- Password login *fails closed* with a 503 problem and Retry-After: its throttle is what stops a
  password being guessed, so it does not run without one. Tills already logged in are unaffected.
"""

import logging

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, throttling

logger = logging.getLogger(__name__)

#: What the cache raises while Redis is down or does not answer (socket timeouts in settings.CACHES).
CACHE_ERRORS = (RedisConnectionError, RedisTimeoutError)
LOGIN_RETRY_AFTER_S = 5


class CacheUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "Logging in is unavailable for a moment; retry shortly."
    default_code = "login_unavailable"
    wait = LOGIN_RETRY_AFTER_S  # DRF's handler turns `wait` into the Retry-After header


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


class RefreshThrottle(FailOpenMixin, throttling.ScopedRateThrottle):
    scope_attr = "throttle_scope"


class LoginThrottle(throttling.ScopedRateThrottle):
    scope_attr = "throttle_scope"

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            logger.warning("login refused: its throttle's cache is unreachable (%s: %s)", type(exc).__name__, exc)
            raise CacheUnavailable() from exc
