"""The projection rebuild the back office starts (`ProjectionRebuild`), as a Celery task: one
implementation with `manage.py rebuild_projections` (`rebuild.rebuild`).

The replay runs in one transaction on the consumer's database, so progress written to a table
there would stay invisible until the end: it goes to the cache (Redis in full mode), which the
page reads while the task runs; the row records the outcome.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

PROGRESS_TTL_S = 24 * 3600


def progress_key(rebuild_id: int) -> str:
    return f"pos:projection-rebuild:{rebuild_id}"


def progress_of(rebuild_id: int) -> tuple[int, int] | None:
    """(events replayed so far, events to replay) of a running rebuild, if known."""
    try:
        value = cache.get(progress_key(rebuild_id))
    except Exception:  # noqa: BLE001 - the cache (Redis) down: the page shows the status alone
        return None
    return tuple(value) if value else None


@shared_task(name="infrastructure.projections.tasks.run_rebuild", ignore_result=True)
def run_rebuild(rebuild_id: int) -> None:
    from infrastructure.projections.models import ProjectionRebuild
    from infrastructure.projections.rebuild import rebuild, replayable_projections

    Status = ProjectionRebuild.Status
    # Claimed once: a redelivered task (acks late) finds the row no longer queued and stops.
    if not ProjectionRebuild.objects.filter(pk=rebuild_id, status=Status.QUEUED).update(status=Status.RUNNING):
        return
    row = ProjectionRebuild.objects.get(pk=rebuild_id)

    def on_progress(done: int, total: int) -> None:
        try:
            cache.set(progress_key(rebuild_id), (done, total), PROGRESS_TTL_S)
        except Exception:  # noqa: BLE001 - progress is a courtesy; the rebuild goes on
            logger.debug("could not record the rebuild's progress", exc_info=True)

    try:
        [projection] = replayable_projections(projection=row.projection)
        result = rebuild(projection, on_progress=on_progress)
    except Exception as exc:  # noqa: BLE001 - recorded for the person who asked
        logger.exception("rebuild of %s failed", row.projection)
        row.status, row.error = Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
    else:
        row.status, row.events, row.seconds = Status.DONE, result.events, result.seconds
    row.finished_at = timezone.now()
    row.save(update_fields=["status", "error", "events", "seconds", "finished_at"])
