"""Periodic housekeeping for authentication, scheduled by `CELERY_BEAT_SCHEDULE` in settings."""

from __future__ import annotations

from celery import shared_task
from django.core.management import call_command


@shared_task(name="infrastructure.http.tasks.flush_expired_tokens", ignore_result=True)
def flush_expired_tokens() -> None:
    # Rotated refresh tokens are blacklisted rows; without this they pile up for ever.
    call_command("flushexpiredtokens")
