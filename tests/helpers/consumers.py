"""Helpers for tests of the consumers: lab event envelopes, a Kafka producer, the consumer loop
running in a thread (always stopped), and reading the lab read models back as plain rows."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal

from infrastructure.eventstore.envelope import Envelope
from infrastructure.kafka.cloudevents import to_message

from .waiting import wait_until

LAB = "lab"


def lab_envelope(event_type: str, tally_id: str, version: int, *, schema_version: int | None = None,
                 metadata: dict | None = None, **data) -> Envelope:
    """An envelope of a lab event as the lab context would publish it (not stored anywhere)."""
    if schema_version is None:
        schema_version = 2 if event_type == "ItemAdded" else 1
    return Envelope(event_id=uuid.uuid4(), source_context=LAB, stream_type="Tally", stream_id=tally_id,
                    version=version, event_type=event_type, schema_version=schema_version,
                    data={"tally_id": tally_id, **data}, metadata=metadata or {"correlation_id": uuid.uuid4().hex},
                    recorded_at=dt.datetime.now(dt.timezone.utc))


class TallyScript:
    """Writes the events of one tally in order (versions 1, 2, ...) and keeps the expected totals."""

    def __init__(self, name: str | None = None, tally_id: str | None = None):
        self.tally_id = tally_id or f"t-{uuid.uuid4().hex[:12]}"
        self.name = name or f"tally {self.tally_id}"
        self.version = 0
        self.quantity = 0
        self.amount = Decimal("0.00")
        self.items: dict[str, int] = {}

    def _next(self, event_type: str, **kwargs) -> Envelope:
        self.version += 1
        return lab_envelope(event_type, self.tally_id, self.version, **kwargs)

    def opened(self) -> Envelope:
        return self._next("TallyOpened", name=self.name)

    def added(self, item: str, quantity: int, amount: str = "1.50") -> Envelope:
        self.quantity += quantity
        self.amount += Decimal(amount)
        self.items[item] = self.items.get(item, 0) + quantity
        return self._next("ItemAdded", item=item, quantity=quantity, amount=amount)

    def added_v1(self, item: str, quantity: int) -> Envelope:
        """An ItemAdded as schema v1 wrote it: no amount (upcast to 0.00)."""
        self.quantity += quantity
        self.items[item] = self.items.get(item, 0) + quantity
        return self._next("ItemAdded", schema_version=1, item=item, quantity=quantity)

    def removed(self, item: str, quantity: int) -> Envelope:
        self.quantity -= quantity
        self.items[item] -= quantity
        return self._next("ItemRemoved", item=item, quantity=quantity)

    def expected_row(self) -> tuple:
        return (self.tally_id, self.name, self.quantity, self.amount, self.version)


# --- read models as plain rows ----------------------------------------------------------------
def tally_rows() -> dict[str, tuple]:
    from tests.lab.models import TallyTotal

    return {row[0]: row for row in TallyTotal.objects.order_by("tally_id")
            .values_list("tally_id", "name", "quantity", "amount", "events")}


def count_rows() -> dict[str, int]:
    from tests.lab.models import EventCount

    return dict(EventCount.objects.values_list("event_type", "count"))


def inbox_count(consumer: str = LAB, **filters) -> int:
    from infrastructure.consumers.models import InboxEvent

    return InboxEvent.objects.filter(consumer=consumer, **filters).count()


# --- Kafka --------------------------------------------------------------------------------
class Producer:
    """A plain kafka-python producer for a test (synchronous sends), closed on exit."""

    def __init__(self, bootstrap: str):
        from kafka import KafkaProducer

        self._producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", max_block_ms=15_000,
                                       request_timeout_ms=10_000, linger_ms=0)

    def send_message(self, topic: str, key: bytes | None, value: bytes, headers: list, *,
                     partition: int | None = None):
        return self._producer.send(topic, key=key, value=value, headers=headers, partition=partition
                                   ).get(timeout=15)

    def send(self, topic: str, envelope: Envelope, *, partition: int | None = None):
        key, value, headers = to_message(envelope)
        return self.send_message(topic, key, value, headers, partition=partition)

    def close(self) -> None:
        self._producer.close(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class ConsumerThread:
    """`infrastructure.consumers.runner.run` in a thread; `stop()` (or leaving the `with` block)
    sets its stop event, joins it within `stop_timeout` and re-raises whatever the loop raised."""

    def __init__(self, consumer: str = LAB, *, stop_timeout: float = 20.0, **run_kwargs):
        from infrastructure.consumers.runner import RunStats

        self.consumer = consumer
        self.stop_event = threading.Event()
        self.stats = RunStats(consumer)
        self.run_kwargs = run_kwargs
        self.stop_timeout = stop_timeout
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name=f"consumer-{consumer}", daemon=True)

    def _main(self) -> None:
        from infrastructure.consumers.runner import run

        try:
            run(self.consumer, self.stop_event, stats=self.stats, **self.run_kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported by stop()
            self.error = exc

    def start(self, *, wait_assigned: float = 30.0) -> "ConsumerThread":
        self.thread.start()
        wait_until(lambda: self.stats.assigned or self._check(), timeout=wait_assigned, interval=0.05,
                   message=f"consumer {self.consumer} to be assigned its partitions")
        return self

    def _check(self) -> bool:
        if self.error is not None:
            raise AssertionError(f"the consumer loop failed: {self.error!r}") from self.error
        if not self.thread.is_alive():
            raise AssertionError("the consumer loop ended unexpectedly")
        return False

    def wait_messages(self, count: int, timeout: float = 30.0) -> None:
        """Until the loop has handled (and committed) at least `count` messages in all."""
        wait_until(lambda: self.stats.messages >= count or self._check(), timeout=timeout, interval=0.05,
                   message=f"consumer {self.consumer} to handle {count} messages (stats: {self.stats.summary()})")

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive() or self.thread.ident is not None:
            self.thread.join(self.stop_timeout)
        if self.thread.is_alive():
            raise AssertionError(f"the consumer loop did not stop within {self.stop_timeout}s")
        if self.error is not None:
            raise AssertionError(f"the consumer loop failed: {self.error!r}") from self.error

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop_event.set()
            self.thread.join(self.stop_timeout)
            raise

    def __exit__(self, *exc_info):
        self.stop()
