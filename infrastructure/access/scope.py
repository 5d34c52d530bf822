"""Store scope: which stores a member of staff works in, on top of the roles (`roles.py`).

- A **head-office manager** is a manager assigned to no store (and an admin): every store.
- A **store manager** is a manager assigned to one or more stores: that store's tills, staff and
  stock, nothing of another store's (403).
- A **cashier** assigned to stores logs in (and works) only at tills of those stores (403).
  An account that was never given a store (made before stores existed, or with `createsuperuser`
  and a role group by hand) keeps its chain-wide scope; every account made through the staff API
  or back office has one (docs/security.md).

Which store a till is in is known where the sales context is served: it registers a lookup
(`register_till_store_lookup`). The login endpoint checks a till-bound login with it when this
process has one; every till action checks again at use (`tills.check_till`), where it always has.

    stores = stores_of(user)        # None: every store
    check_store(request, "S1")      # 403 StoreOutOfScope unless the request may act in S1
"""

from __future__ import annotations

from collections.abc import Callable

from rest_framework.exceptions import PermissionDenied

from infrastructure.access.roles import ADMIN, MANAGER, request_roles, roles_of

_till_store_lookup: Callable[[str], str | None] | None = None


class StoreOutOfScope(PermissionDenied):
    default_code = "store_out_of_scope"
    default_detail = "You do not work in this store."


class HeadOfficeOnly(PermissionDenied):
    default_code = "head_office_only"
    default_detail = "Only a head-office manager may do this."


def register_till_store_lookup(lookup: Callable[[str], str | None]) -> None:
    """The sales context tells which store a till is in (None: no such till)."""
    global _till_store_lookup
    _till_store_lookup = lookup


def store_of_till(till_id) -> str | None:
    return _till_store_lookup(str(till_id)) if _till_store_lookup is not None else None


def stores_of(user, roles: set[str] | None = None) -> frozenset[str] | None:
    """The stores `user` works in; None means every store (head office, admin, an account with
    no store assignment). `roles`: the user's roles when already looked up."""
    if not user or not user.is_authenticated:
        return frozenset()
    if ADMIN in (roles_of(user) if roles is None else roles):
        return None
    codes = frozenset(user.store_assignments.values_list("store_code", flat=True))
    return codes or None


def request_stores(request) -> frozenset[str] | None:
    """`stores_of(request.user)`, looked up once per request."""
    if not hasattr(request, "_pos_stores"):
        request._pos_stores = stores_of(request.user, request_roles(request))
    return request._pos_stores


def is_head_office(request) -> bool:
    return MANAGER in request_roles(request) and request_stores(request) is None


def may_act_in(request, store_code: str) -> bool:
    stores = request_stores(request)
    return stores is None or str(store_code).upper() in stores


def check_store(request, store_code: str) -> None:
    if not may_act_in(request, store_code):
        raise StoreOutOfScope(f"You do not work in store {store_code}.")


def check_head_office(request) -> None:
    if not is_head_office(request):
        raise HeadOfficeOnly()


def check_user_at_till(user, till_id, stores: frozenset[str] | None = ...) -> None:
    """A login at (or an action on) a till: 403 when the till's store is known here and is not one
    of the user's."""
    stores = stores_of(user) if stores is ... else stores
    if stores is None:
        return
    store = store_of_till(till_id)
    if store is not None and store not in stores:
        raise StoreOutOfScope(f"You do not work in store {store}, where till {till_id} is.")
