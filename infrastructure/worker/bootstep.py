"""What a context's Celery worker hosts besides its tasks: the context's outbox relay and its
Kafka consumer, each a thread of the worker's main process. A context deploys as its API plus
one such worker.

    celery -A pos_project worker --pool threads                      # relay + consumers of POS_CONTEXTS
    celery -A pos_project worker --relay sales --consume none        # only the sales relay
    celery -A pos_project worker --relay none --consume reporting    # only reporting's consumer

The relay is woken by PostgreSQL NOTIFY (`outbox/listener.py`: one listener per database, with a
pass every few seconds as its own safety net); the consumer is `consumers/runner.py`, the same
code `manage.py consume_events` runs in the foreground, with the same guarantees (one transaction
per poll, inbox dedupe, offsets after commit, dead letters). Both outlive their services: they
back off and resume by themselves.

Stopping: Celery's warm shutdown (SIGTERM) calls `stop`, which sets the threads' stop event; each
finishes its batch, commits and ends. A thread that ends on its own (a bug, since the loops catch
every service error) takes the worker down with it, so its supervisor restarts the whole worker
instead of leaving it running without its relay or consumer.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections import defaultdict

from celery import bootsteps
from click import Option
from django.conf import settings

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 30.0

OPTIONS = [
    Option(["--relay"], default=None, metavar="CONTEXTS",
           help="POS: relay these contexts' outboxes (comma-separated, or 'none'; default POS_CONTEXTS)"),
    Option(["--consume"], default=None, metavar="CONTEXTS",
           help="POS: run these contexts' Kafka consumers (comma-separated, or 'none'; default the "
                "consuming contexts of POS_CONTEXTS)"),
]


def parse_contexts(value: str | None, default: list[str]) -> list[str]:
    if value is None:
        return default
    names = [name.strip() for name in value.split(",") if name.strip()]
    if names == ["none"]:
        return []
    from django.apps import apps

    # A context is an installed app (the four of ALL_CONTEXTS, or one added by POS_EXTRA_APPS).
    unknown = sorted(name for name in names if not any(c.label == name for c in apps.get_app_configs()))
    if unknown:
        raise ValueError(f"unknown contexts {unknown}; known: {', '.join(settings.ALL_CONTEXTS)}")
    return names


class PipelineStep(bootsteps.StartStopStep):
    """Starts the relay listener and the consumers once the worker's pool is up."""

    requires = {"celery.worker.components:Pool"}

    def __init__(self, worker, relay: str | None = None, consume: str | None = None, **options):
        super().__init__(worker, **options)
        self.relay_option, self.consume_option = relay, consume
        self.relay: list[str] = []
        self.consume: list[str] = []
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, worker):
        if settings.POS_WORKER_METRICS_PORT:
            # The commands this worker's policies run and the events they append (the pipeline's
            # state is the APIs' /metrics): for Prometheus inside the network, on its own port.
            from prometheus_client import start_http_server

            start_http_server(settings.POS_WORKER_METRICS_PORT)
            logger.info("pipeline: process metrics on port %d", settings.POS_WORKER_METRICS_PORT)
        if not settings.KAFKA_ENABLED:
            logger.info("pipeline: KAFKA_BOOTSTRAP_SERVERS is not set; no relay or consumer in this worker")
            return
        from infrastructure.consumers import registry, runner
        from infrastructure.eventstore.databases import db_for
        from infrastructure.outbox.listener import listen_and_relay

        # Read here, not in __init__: the subscribers register when Django's apps are ready.
        self.relay = parse_contexts(self.relay_option, list(settings.POS_CONTEXTS))
        self.consume = parse_contexts(self.consume_option,
                                      [c for c in settings.POS_CONTEXTS if registry.subscribers_of(c)])

        by_database = defaultdict(list)
        for context in self.relay:
            by_database[db_for(context)].append(context)
        for alias, contexts in sorted(by_database.items()):
            self._start(f"relay-{alias}", listen_and_relay, contexts, self.stop_event)
        for context in self.consume:
            self._start(f"consumer-{context}", runner.run, context, self.stop_event)
        logger.info("pipeline: relaying %s; consuming %s", ", ".join(self.relay) or "nothing",
                    ", ".join(self.consume) or "nothing")

    def _start(self, name: str, target, *args) -> None:
        def main():
            try:
                target(*args)
            except BaseException:
                logger.exception("pipeline: %s failed", name)
                raise
            finally:
                if not self.stop_event.is_set():
                    logger.error("pipeline: %s ended while the worker runs; stopping the worker", name)
                    os.kill(os.getpid(), signal.SIGTERM)

        thread = threading.Thread(target=main, name=f"pos-{name}", daemon=True)
        self.threads.append(thread)
        thread.start()

    def stop(self, worker):
        self.stop_event.set()
        for thread in self.threads:
            thread.join(STOP_TIMEOUT_S)
            if thread.is_alive():
                logger.warning("pipeline: %s did not stop within %.0fs", thread.name, STOP_TIMEOUT_S)
        self.threads = []

    shutdown = stop


def install(app) -> None:
    """Add the step and its command-line options to `app`'s worker (pos_project/celery.py)."""
    for option in OPTIONS:
        app.user_options["worker"].add(option)
    app.steps["worker"].add(PipelineStep)
