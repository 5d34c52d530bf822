"""Celery tasks of the infrastructure app (found by `app.autodiscover_tasks()`)."""

import os
import socket

from celery import shared_task


@shared_task(bind=True, name="infrastructure.diagnostics_ping")
def diagnostics_ping(self) -> dict:
    """Say which process ran this task: proves a real worker (not the caller, not eager mode) did it."""
    return {"pid": os.getpid(), "hostname": self.request.hostname or socket.gethostname()}
