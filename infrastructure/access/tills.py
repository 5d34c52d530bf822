"""Till binding: a till logs in with its `till_id` and gets tokens whose `till` claim binds them
to that one till (see `infrastructure/http/auth_views.py`).

The claim is checked *at use*, by the sales views, not at login: the auth endpoint is served by
every process, but the till read model (`TillView`) exists only where the sales context is served.
A token naming a till that does not exist therefore gets nothing done: every till action compares
the claim with the till of the request, and the command handler refuses an unknown till.

Rules (`check_till`):
- a till-bound token acts only on its own till: any other till in the URL or body is a 403;
- a cashier (not a manager) must hold a till-bound token for every sales write;
- a manager's token without a till claim may act on any till (back-office tools); a manager who
  logs in at a till is bound like anyone else;
- the till acted on must be in one of the user's stores (`scope.py`): a cashier moved to another
  store loses the old store's tills at once, whatever tokens they still hold.
"""

from __future__ import annotations

import uuid

from rest_framework.exceptions import PermissionDenied

from infrastructure.access.roles import MANAGER, request_roles
from infrastructure.access.scope import check_user_at_till, request_stores

TILL_CLAIM = "till"


class TillMismatch(PermissionDenied):
    default_code = "till_mismatch"
    default_detail = "This token is bound to another till."


class TillTokenRequired(PermissionDenied):
    default_code = "till_token_required"
    default_detail = "A cashier works at a till: log in with till_id to get a till-bound token."


def bound_till(request) -> str | None:
    """The till the request's token is bound to (None: no token, or a token without the claim)."""
    token = getattr(request, "auth", None)
    if token is None or not hasattr(token, "get"):
        return None
    value = token.get(TILL_CLAIM)
    return str(value) if value else None


def check_till(request, till_id: uuid.UUID | str | None) -> None:
    """Raise a 403 unless this request may act on `till_id` (None: the write names no till)."""
    bound = bound_till(request)
    if bound is None:
        if MANAGER not in request_roles(request):
            raise TillTokenRequired()
    elif till_id is not None and str(till_id).lower() != bound.lower():
        raise TillMismatch(f"This token is bound to till {bound}; it cannot act on till {till_id}.")
    till = till_id if till_id is not None else bound
    if till is not None:
        check_user_at_till(request.user, till, request_stores(request))
