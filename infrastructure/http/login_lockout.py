"""What django-axes needs from us to watch logins (settings: AXES_*, docs/security.md).

- `lockout_username`: the key a username's failures are counted under. Django's login form strips
  and NFKC-normalises the username before it authenticates, and the API's serializer strips it;
  the key is taken the same way and case-folded, so " manager", "MANAGER" and a fullwidth
  "ｍａｎａｇｅｒ" all count against "manager" (a lockout keyed on the raw input was bypassed so).
- `lockout_response`: the admin's answer to a locked-out login: 429 with Retry-After.
"""

import unicodedata

from django.conf import settings
from django.http import HttpResponse


MAX_USERNAME = 150  # Django's username length: nothing longer is a user, so nothing longer is a key


def normalise_username(value) -> str:
    if not isinstance(value, str):
        return ""
    return unicodedata.normalize("NFKC", value.strip()).casefold()[:MAX_USERNAME]


def lockout_username(request, credentials) -> str:
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        value = data.get("username") if hasattr(data, "get") else None
    return normalise_username(value)


def retry_after_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


LOCKED_DETAIL = "Too many failed login attempts for this username or from this address; retry later."


def lockout_response(request, original_response=None, credentials=None):
    """The admin's answer (via AxesMiddleware); the API answers with problem details instead
    (auth_views.LoginLocked), since axes marks DRF's request, which the middleware never sees."""
    response = HttpResponse(LOCKED_DETAIL, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after_seconds())
    return response
