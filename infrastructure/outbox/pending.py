"""Which contexts have events waiting in their outbox (for `manage.py relay_outbox` and the
operators' views). The relay itself runs in each context's Celery worker (worker/bootstep.py),
woken by PostgreSQL NOTIFY; there is no relay task to queue."""

from __future__ import annotations

from django.conf import settings


def contexts_with_pending_events() -> list[str]:
    """The contexts that have pending outbox rows, in any configured database."""
    from infrastructure.outbox.models import OutboxEntry

    found: set[str] = set()
    for alias in settings.DATABASES:
        found.update(OutboxEntry.objects.using(alias).filter(published_at__isnull=True)
                     .order_by().values_list("context", flat=True).distinct())
    return sorted(found)
