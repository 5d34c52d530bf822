"""Which stores a member of staff may keep stock in, for the back office's and the API's stock
pages: the stores the catalog knows of (its copy of the store directory) and the legacy store
(legacy_stock.py), narrowed to the member's store scope (infrastructure/access/scope.py): a store
manager keeps their stores' stock, a head-office manager every store's."""

from infrastructure.access.scope import check_store, may_act_in

from .legacy_stock import legacy_store
from .models import StoreEntry


def known_stores() -> dict[str, str]:
    """code -> "code name" of every store stock may be kept in."""
    stores = {entry.code: f"{entry.code} {entry.name}" for entry in StoreEntry.objects.order_by("code")}
    stores.setdefault(legacy_store(), legacy_store())
    return dict(sorted(stores.items()))


def store_choices(request) -> list[tuple[str, str]]:
    return [(code, label) for code, label in known_stores().items() if may_act_in(request, code)]


def store_in_scope(request, code) -> str:
    """The store a request names ("" or None: the legacy store), upper-cased; 403 problem
    `store-out-of-scope` when the member does not work there."""
    code = str(code or "").strip().upper() or legacy_store()
    check_store(request, code)
    return code
