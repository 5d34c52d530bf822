"""What other contexts hold about a customer, for the customer's right-of-access export
(contexts/customers/export.py): each context that keeps personal data of its own registers a
query in its AppConfig.ready, so the export gathers it without importing another context.

    register_holding("sales", held_about_customer)   # contexts/sales/apps.py
    holdings(customer_id) -> {"sales": {...}, ...}
"""

from __future__ import annotations

from collections.abc import Callable

_HOLDINGS: dict[str, Callable[[object], dict]] = {}


def register_holding(context: str, query: Callable[[object], dict]) -> None:
    _HOLDINGS[context] = query


def holdings(customer_id) -> dict:
    return {context: query(customer_id) for context, query in sorted(_HOLDINGS.items())}
