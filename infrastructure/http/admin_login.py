"""Login throttling for the admin (`/admin/login/`): after `POS_ADMIN_LOGIN_ATTEMPTS` failed
attempts within `POS_ADMIN_LOGIN_WINDOW` seconds, for one username *or* from one client address,
further attempts answer 429 (with `Retry-After`) until the window passes. A successful login
clears the username's counter. Counters live in the cache (Redis in full mode, so every worker
process sees them). The client address is `REMOTE_ADDR` (the gateway passes the real one through
`X-Real-IP`/`X-Forwarded-For` only as far as POS_NUM_PROXIES vouches — see docs/security.md).

Without its counters (Redis down) the login *fails closed*: a 503 with Retry-After, as the API's
password login does (infrastructure/http/throttling.py); the throttle is what stops guessing.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import NoReverseMatch, reverse

from infrastructure.http.throttling import CACHE_ERRORS, LOGIN_RETRY_AFTER_S

logger = logging.getLogger(__name__)

PREFIX = "admin-login-fail:"


def _key(kind: str, value: str) -> str:
    return PREFIX + kind + ":" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]


def client_address(request) -> str:
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "")


def reset(username: str = "", address: str = "") -> None:
    """Forget the counters (tests; an operator unlocking an account)."""
    cache.delete_many([_key("user", username.lower()), _key("addr", address)])


class AdminLoginThrottleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST" or request.path != _login_path():
            return self.get_response(request)
        limit, window = settings.POS_ADMIN_LOGIN_ATTEMPTS, settings.POS_ADMIN_LOGIN_WINDOW
        username = (request.POST.get("username") or "")[:150].lower()
        keys = [_key("user", username), _key("addr", client_address(request))]
        try:
            counts = cache.get_many(keys)
        except CACHE_ERRORS as exc:
            logger.warning("admin login refused: its throttle's cache is unreachable (%s: %s)",
                           type(exc).__name__, exc)
            response = HttpResponse("Logging in is unavailable for a moment; retry shortly.", status=503,
                                    content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(LOGIN_RETRY_AFTER_S)
            return response
        if any(count >= limit for count in counts.values()):
            response = HttpResponse(
                "Too many failed login attempts. Wait a minute and try again.", status=429,
                content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(window)
            return response
        response = self.get_response(request)
        try:
            self._count(request, response, keys, window)
        except CACHE_ERRORS as exc:  # gone since the check: the login's answer stands, one failure uncounted
            logger.warning("admin login attempt not counted: the cache is unreachable (%s: %s)",
                           type(exc).__name__, exc)
        return response

    @staticmethod
    def _count(request, response, keys, window) -> None:
        user = getattr(request, "user", None)
        if response.status_code == 302 and user is not None and user.is_authenticated:
            cache.delete(keys[0])  # logged in: the username starts afresh (the address keeps its count)
            return
        for key in keys:
            cache.add(key, 0, timeout=window)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=window)


def _login_path() -> str:
    try:
        return reverse("admin:login")
    except NoReverseMatch:
        return "/admin/login/"
