"""The Celery application. In embedded mode tasks run eagerly in the calling process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings")

app = Celery("pos")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _django_logging(**kwargs):
    """JSON logs: the worker's lines (its relay and consumers too) go through settings.LOGGING,
    like the API's, instead of Celery's own format (a receiver here makes Celery leave logging be)."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


if os.environ.get("POS_LOG_FORMAT") == "json":
    from celery.signals import setup_logging

    setup_logging.connect(_django_logging, weak=False)

# Full mode: each worker also hosts its contexts' outbox relay and Kafka consumers.
from infrastructure.worker.bootstep import install  # noqa: E402 - needs `app`, and settings named above

install(app)
