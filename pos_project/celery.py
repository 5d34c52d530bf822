"""The Celery application. In embedded mode tasks run eagerly in the calling process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings")

app = Celery("pos")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Full mode: each worker also hosts its contexts' outbox relay and Kafka consumers.
from infrastructure.worker.bootstep import install  # noqa: E402 - needs `app`, and settings named above

install(app)
