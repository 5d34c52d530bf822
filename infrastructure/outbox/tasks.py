"""Celery tasks that publish the outbox: one context on demand (kicked after each commit), and a
periodic sweep of every context with pending events (the safety net for lost kicks), scheduled
by `CELERY_BEAT_SCHEDULE` in settings every POS_RELAY_SWEEP_SECONDS.

This module is imported by `InfrastructureConfig.ready()`, so every process that sets up Django
(the worker included) registers these tasks; Celery's autodiscovery only finds
`infrastructure.tasks`.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

logger = logging.getLogger(__name__)


@shared_task(name="infrastructure.outbox.tasks.relay_outbox", ignore_result=True)
def relay_outbox(context: str) -> int:
    from infrastructure.outbox.relay import relay_pending

    return relay_pending(context)


def contexts_with_pending_events() -> list[str]:
    """The contexts that have pending outbox rows, in any configured database."""
    from infrastructure.outbox.models import OutboxEntry

    found: set[str] = set()
    for alias in settings.DATABASES:
        found.update(OutboxEntry.objects.using(alias).filter(published_at__isnull=True)
                     .order_by().values_list("context", flat=True).distinct())
    return sorted(found)


@shared_task(name="infrastructure.outbox.tasks.sweep_outboxes", ignore_result=True)
def sweep_outboxes() -> dict[str, int]:
    from infrastructure.outbox.relay import relay_pending

    published = {}
    for context in contexts_with_pending_events():
        try:
            published[context] = relay_pending(context)
        except Exception:  # one context's trouble (its database down) must not starve the others
            logger.exception("sweep: relaying %s failed", context)
    return published
