"""The pipeline of full mode inside the test process: every context's outbox relayed to Kafka by a
thread (the relay's job, a Celery worker's in a deployment) and the consumers of catalog,
customers, sales and reporting applying it, each its own consumer group. A test takes the
`pipeline` fixture and writes through the API or the commands as a shop would."""

import threading

import pytest
from django.db import connection

from infrastructure.outbox.relay import relay_pending

from .consumers import ConsumerThread

CONTEXTS = ("stores", "catalog", "customers", "sales")  # the publishers (a till's store reaches sales too)
CONSUMERS = ("catalog", "customers", "sales", "reporting")


class RelayPump:
    """The relay's job, done by a thread instead of a Celery worker: publish every context's
    pending outbox to Kafka until stopped."""

    def __init__(self):
        self.stop_event = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._main, name="relay-pump", daemon=True)

    def _main(self):
        try:
            while not self.stop_event.is_set():
                if not sum(relay_pending(context) for context in CONTEXTS):
                    self.stop_event.wait(0.05)
        except BaseException as exc:  # reported by stop()
            self.error = exc
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the relay pump did not stop"
        assert self.error is None, f"the relay pump failed: {self.error!r}"


@pytest.fixture
def pipeline():
    consumers = [ConsumerThread(context, stop_timeout=30) for context in CONSUMERS]
    with RelayPump():
        try:
            for consumer in consumers:
                consumer.start(wait_assigned=45)
            yield
        finally:
            for consumer in consumers:
                consumer.stop()
