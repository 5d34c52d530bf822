"""Purge of stored idempotent answers older than POS_IDEMPOTENCY_DAYS, scheduled by Celery beat
(`CELERY_BEAT_SCHEDULE`). A retry after that runs its command again: the documented limit of a
key's guarantee (docs/security.md)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from infrastructure.idempotency.models import IdempotencyRecord


def purge_expired(now=None) -> int:
    cutoff = (now or timezone.now()) - timedelta(days=settings.POS_IDEMPOTENCY_DAYS)
    # The table is in every database (each context's own included): purge each.
    return sum(IdempotencyRecord.objects.using(alias).filter(created_at__lt=cutoff).delete()[0]
               for alias in settings.DATABASES)


@shared_task(name="infrastructure.idempotency.tasks.purge_expired_idempotency_keys", ignore_result=True)
def purge_expired_idempotency_keys() -> None:
    purge_expired()
