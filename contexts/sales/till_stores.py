"""Which store a till is in, for the store-scope checks of logins and till actions
(`infrastructure/access/scope.py`), from this context's own till directory."""

from .models import TillView


def store_of_till(till_id: str) -> str | None:
    try:
        return TillView.objects.filter(till_id=till_id).values_list("store_code", flat=True).first()
    except (ValueError, TypeError):  # not a till id at all
        return None
