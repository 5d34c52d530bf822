"""The permission matrix: who may call which API endpoint. One row per (method, path pattern).

This table is the source of truth for `docs/security.md` (generated from it:
`python -m infrastructure.access.matrix --write-docs`) and for
`tests/security/test_permission_matrix.py`, which walks the URL resolver and fails when an endpoint
has no row here, when a row names no endpoint, and when any role gets another answer than the row
says. Adding an endpoint therefore means deciding here who may use it.

Roles (`infrastructure/access/roles.py`): anonymous (no credentials), `none` (a valid login with
no role group: default deny), cashier, store_manager (a manager assigned to a store), manager (a
head-office manager: assigned to no store), admin (superuser). Store scope
(`infrastructure/access/scope.py`) narrows what passes here to the user's own stores: a cashier
at a till of another store, or a store manager acting on another store's till, staff or stock,
gets 403 (tested in `tests/security/test_store_scope.py`). Expected answers:
`ok` = the request gets past authentication and permissions (2xx, or a 4xx about the input or the
resource, never 401/403); `401`; `403`.

Sales writes at a till (policy `till`) are for a cashier *with a till-bound token for that till*
(login with `till_id`); the same cashier with a token of another till, or without a till claim,
gets 403 (tested separately). Managers and admins act on any till with an unbound token.
"""

from __future__ import annotations

ROLES = ("anonymous", "none", "cashier", "store_manager", "manager", "admin")

POLICIES: dict[str, dict[str, str]] = {
    # who                         anonymous  none   cashier store_mgr manager admin
    "public":      dict(zip(ROLES, ("ok",   "ok",  "ok",   "ok",     "ok",   "ok"))),
    "login":       dict(zip(ROLES, ("401",  "ok",  "ok",   "ok",     "ok",   "ok"))),
    "cashier":     dict(zip(ROLES, ("401",  "403", "ok",   "ok",     "ok",   "ok"))),
    "till":        dict(zip(ROLES, ("401",  "403", "ok",   "ok",     "ok",   "ok"))),
    "manager":     dict(zip(ROLES, ("401",  "403", "403",  "ok",     "ok",   "ok"))),
    "head_office": dict(zip(ROLES, ("401",  "403", "403",  "403",    "ok",   "ok"))),
}

POLICY_NOTES = {
    "public": "no login needed",
    "login": "any valid login",
    "cashier": "cashier role (managers and admins include it)",
    "till": "cashier with a token bound to this till; managers and admins with any token",
    "manager": "manager role (admins include it); a store manager only for their own stores (checked per store)",
    "head_office": "a head-office manager (a manager in no store) or an admin",
}

MATRIX: dict[str, str] = {
    # --- infrastructure ---------------------------------------------------------------------
    "GET /api/docs/": "public",
    "GET /api/schema/": "public",
    "GET /api/problems/": "public",
    "GET /api/problems/{name}/": "public",
    "GET /api/v1/": "public",
    "POST /api/v1/auth/token/": "public",
    "POST /api/v1/auth/token/refresh/": "public",
    "POST /api/v1/auth/logout/": "login",
    "GET /api/v1/auth/me/": "login",
    # --- stores -----------------------------------------------------------------------------
    "GET /api/v1/stores/": "cashier",
    "POST /api/v1/stores/": "head_office",
    "GET /api/v1/stores/{code}/": "cashier",
    "PATCH /api/v1/stores/{code}/": "head_office",
    "POST /api/v1/stores/{code}/close/": "head_office",
    "POST /api/v1/stores/{code}/reopen/": "head_office",
    "GET /api/v1/stores/{code}/history/": "cashier",
    "GET /api/v1/stores/staff/": "manager",
    "POST /api/v1/stores/staff/": "manager",
    "GET /api/v1/stores/staff/{username}/": "manager",
    "POST /api/v1/stores/staff/{username}/stores/": "manager",
    "POST /api/v1/stores/staff/{username}/reset-password/": "manager",
    "POST /api/v1/stores/staff/{username}/deactivate/": "manager",
    # --- catalog ----------------------------------------------------------------------------
    "GET /api/v1/catalog/": "login",
    "GET /api/v1/catalog/categories/": "cashier",
    "POST /api/v1/catalog/categories/": "manager",
    "GET /api/v1/catalog/categories/{pk}/": "cashier",
    "PATCH /api/v1/catalog/categories/{pk}/": "manager",
    "DELETE /api/v1/catalog/categories/{pk}/": "manager",
    "GET /api/v1/catalog/categories/{pk}/history/": "cashier",
    "GET /api/v1/catalog/products/": "cashier",
    "POST /api/v1/catalog/products/": "manager",
    "GET /api/v1/catalog/products/lookup/": "cashier",
    "GET /api/v1/catalog/products/low-stock/": "cashier",
    "GET /api/v1/catalog/products/{pk}/": "cashier",
    "PATCH /api/v1/catalog/products/{pk}/": "manager",
    "DELETE /api/v1/catalog/products/{pk}/": "manager",
    "POST /api/v1/catalog/products/{pk}/adjust-stock/": "manager",
    "POST /api/v1/catalog/products/{pk}/change-price/": "manager",
    "POST /api/v1/catalog/products/{pk}/discontinue/": "manager",
    "POST /api/v1/catalog/products/{pk}/reactivate/": "manager",
    "POST /api/v1/catalog/products/{pk}/receive-stock/": "manager",
    "GET /api/v1/catalog/products/{pk}/history/": "cashier",
    "GET /api/v1/catalog/products/{pk}/stock-movements/": "cashier",
    "GET /api/v1/catalog/products/{pk}/stock/": "cashier",
    "POST /api/v1/catalog/products/{pk}/store-threshold/": "manager",
    "GET /api/v1/catalog/stock/": "cashier",
    "GET /api/v1/catalog/stock/low-stock/": "cashier",
    "POST /api/v1/catalog/goods-in/": "manager",
    "GET /api/v1/catalog/transfers/": "cashier",
    "POST /api/v1/catalog/transfers/": "manager",
    "GET /api/v1/catalog/transfers/{pk}/": "cashier",
    "POST /api/v1/catalog/transfers/{pk}/receive/": "manager",
    "GET /api/v1/catalog/stocktakes/": "cashier",
    "POST /api/v1/catalog/stocktakes/": "manager",
    "GET /api/v1/catalog/stocktakes/{pk}/": "cashier",
    "POST /api/v1/catalog/stocktakes/{pk}/count/": "manager",
    # --- customers --------------------------------------------------------------------------
    "GET /api/v1/customers/": "cashier",
    "POST /api/v1/customers/": "manager",
    "GET /api/v1/customers/{pk}/": "cashier",
    "PUT /api/v1/customers/{pk}/": "manager",
    "PATCH /api/v1/customers/{pk}/": "manager",
    "DELETE /api/v1/customers/{pk}/": "manager",
    "GET /api/v1/customers/{pk}/history/": "cashier",
    "POST /api/v1/customers/{pk}/forget/": "manager",
    "GET /api/v1/customers/{pk}/export/": "manager",
    # --- sales ------------------------------------------------------------------------------
    "GET /api/v1/sales/": "login",
    "GET /api/v1/sales/tills/": "cashier",
    "GET /api/v1/sales/price-list/": "cashier",
    "POST /api/v1/sales/tills/": "manager",
    "GET /api/v1/sales/tills/{pk}/": "cashier",
    "GET /api/v1/sales/tills/{pk}/history/": "cashier",
    "POST /api/v1/sales/tills/{pk}/open/": "till",
    "POST /api/v1/sales/tills/{pk}/cash-movements/": "till",
    "POST /api/v1/sales/tills/{pk}/close/": "till",
    "GET /api/v1/sales/sessions/": "cashier",
    "GET /api/v1/sales/sessions/{pk}/": "cashier",
    "GET /api/v1/sales/sessions/{pk}/history/": "cashier",
    "GET /api/v1/sales/orders/": "cashier",
    "POST /api/v1/sales/orders/": "till",
    "GET /api/v1/sales/orders/{pk}/": "cashier",
    "GET /api/v1/sales/orders/{pk}/history/": "cashier",
    "GET /api/v1/sales/orders/{pk}/receipt/": "cashier",
    "POST /api/v1/sales/orders/{pk}/payments/": "till",
    "POST /api/v1/sales/orders/{pk}/refunds/": "till",
    "POST /api/v1/sales/orders/{pk}/void/": "till",
    "POST /api/v1/sales/approvals/": "cashier",
    "GET /api/v1/sales/tenders/": "cashier",
    "POST /api/v1/sales/tenders/": "manager",
    "GET /api/v1/sales/tenders/{code}/": "cashier",
    "PATCH /api/v1/sales/tenders/{code}/": "manager",
    "DELETE /api/v1/sales/tenders/{code}/": "manager",
    "POST /api/v1/sales/orders/{pk}/ship/": "till",
    "POST /api/v1/sales/orders/{pk}/cancel/": "till",
    "POST /api/v1/sales/orders/{pk}/forget-address/": "manager",
    # --- reporting --------------------------------------------------------------------------
    "GET /api/v1/reports/": "manager",
    "GET /api/v1/reports/daily-sales/": "manager",
    "GET /api/v1/reports/sales-by-product/": "manager",
    "GET /api/v1/reports/sales-by-category/": "manager",
    "GET /api/v1/reports/sales-by-cashier/": "manager",
    "GET /api/v1/reports/sales-by-hour/": "manager",
    "GET /api/v1/reports/payment-mix/": "manager",
    "GET /api/v1/reports/tax-by-rate/": "manager",
    "GET /api/v1/reports/z-reports/": "manager",
    "GET /api/v1/reports/z-reports/{session_id}/": "manager",
    "GET /api/v1/reports/stock-valuation/": "manager",
    "GET /api/v1/reports/low-stock/": "manager",
    # --- audit ------------------------------------------------------------------------------
    "GET /api/v1/audit/": "manager",
    "GET /api/v1/audit/events/": "manager",
}

DOC_BEGIN = "<!-- permission-matrix:begin (generated by `python -m infrastructure.access.matrix --write-docs`) -->"
DOC_END = "<!-- permission-matrix:end -->"


def expected(key: str) -> dict[str, str]:
    return POLICIES[MATRIX[key]]


def markdown_table() -> str:
    def sort_key(key: str):
        method, path = key.split(" ", 1)
        return path, ("GET", "POST", "PUT", "PATCH", "DELETE").index(method)

    lines = ["| method | path | " + " | ".join(ROLES) + " | rule |",
             "|---|---|" + "---|" * len(ROLES) + "---|"]
    for key in sorted(MATRIX, key=sort_key):
        method, path = key.split(" ", 1)
        row = expected(key)
        cells = [("✓" if row[r] == "ok" else row[r]) for r in ROLES]
        lines.append(f"| {method} | `{path}` | " + " | ".join(cells) + f" | {MATRIX[key]} |")
    return "\n".join(lines)


def docs_block() -> str:
    return f"{DOC_BEGIN}\n{markdown_table()}\n{DOC_END}"


def write_docs(path) -> bool:
    """Replace the generated block in `path` (docs/security.md); True when the file changed."""
    from pathlib import Path

    path = Path(path)
    text = path.read_text()
    start, end = text.index(DOC_BEGIN), text.index(DOC_END) + len(DOC_END)
    new = text[:start] + docs_block() + text[end:]
    if new != text:
        path.write_text(new)
    return new != text


if __name__ == "__main__":  # pragma: no cover
    import sys
    from pathlib import Path

    target = Path(__file__).resolve().parents[2] / "docs" / "security.md"
    if "--write-docs" in sys.argv:
        print("updated" if write_docs(target) else "up to date", target)
    else:
        print(markdown_table())
