"""`rebuild_projections` on PostgreSQL: the rebuilt tables equal what live consumption built, and a
rebuild that runs while events are produced and consumed loses nothing and applies nothing twice."""

import datetime as dt
import os
import random
import threading
import uuid
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from infrastructure.consumers.inbox import deliver
from infrastructure.consumers.models import InboxEvent
from infrastructure.kafka.topics import topic_for
from infrastructure.projections.rebuild import rebuild_projections
from tests.helpers import wait_until
from tests.helpers.consumers import (
    ConsumerThread,
    Producer,
    TallyScript,
    count_rows,
    inbox_count,
    lab_envelope,
    tally_rows,
)
from tests.lab.models import EventCount, TallyTotal

pytestmark = pytest.mark.integration


def next_event(rng: random.Random, tally: TallyScript):
    """A plausible next event of an opened tally: mostly additions (some in schema v1), some removals."""
    in_stock = [item for item, quantity in tally.items.items() if quantity > 0]
    roll = rng.random()
    if in_stock and roll < 0.25:
        item = rng.choice(in_stock)
        return tally.removed(item, rng.randint(1, tally.items[item]))
    if roll < 0.3:
        return tally.added_v1(rng.choice("abcdef"), rng.randint(1, 5))
    return tally.added(rng.choice("abcdef"), rng.randint(1, 5), f"{rng.randint(1, 9999) / 100:.2f}")


def scripted_history(rng: random.Random, tallies: list[TallyScript], events: int):
    """Each tally opened, then `events` more events over them, interleaved."""
    return [t.opened() for t in tallies] + [next_event(rng, rng.choice(tallies)) for _ in range(events)]


def corrupt_the_read_models():
    first = TallyTotal.objects.order_by("tally_id").first()
    TallyTotal.objects.filter(pk=first.pk).delete()
    TallyTotal.objects.filter(pk=TallyTotal.objects.order_by("-tally_id").first().pk).update(quantity=-1000)
    TallyTotal.objects.create(tally_id="ghost", name="never opened", quantity=1)
    EventCount.objects.update(count=999)


def independent_totals() -> tuple[dict, dict]:
    """The read models computed straight from the inbox in SQL: none of the projection code."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT stream_id,
                   max(CASE WHEN event_type = 'TallyOpened' THEN data->>'name' END),
                   sum(CASE event_type WHEN 'ItemAdded' THEN (data->>'quantity')::int
                                       WHEN 'ItemRemoved' THEN -(data->>'quantity')::int ELSE 0 END),
                   sum(CASE WHEN event_type = 'ItemAdded' THEN (data->>'amount')::numeric ELSE 0 END),
                   count(*)
              FROM es_inbox WHERE consumer = 'lab' AND status = 'applied' GROUP BY stream_id""")
        tallies = {row[0]: row for row in cursor.fetchall()}
        cursor.execute("SELECT event_type, count(*) FROM es_inbox WHERE consumer = 'lab' AND status = 'applied' "
                       "GROUP BY event_type")
        counts = dict(cursor.fetchall())
    return tallies, counts


@pytest.mark.django_db
def test_rebuilt_tables_equal_the_live_ones():
    rng = random.Random(42)
    tallies = [TallyScript() for _ in range(20)]
    history = scripted_history(rng, tallies, 600)
    poison = lab_envelope("ItemAdded", tallies[0].tally_id, 999, item="x", quantity="lots", amount="1.00")
    history.insert(300, poison)
    dead = []
    start = 0
    while start < len(history):  # batches of varying size, as polls would bring them
        size = rng.randint(1, 60)
        deliver("lab", history[start:start + size], retry_delay=0.001, on_dead=lambda env, err: dead.append(env))
        start += size
    live = (tally_rows(), count_rows())
    assert [env.event_id for env in dead] == [poison.event_id]
    assert live[0] == {t.tally_id: t.expected_row() for t in tallies}  # live consumption was right to begin with
    assert sum(live[1].values()) == len(history) - 1

    corrupt_the_read_models()
    assert (tally_rows(), count_rows()) != live
    out = StringIO()
    call_command("rebuild_projections", "--context", "lab", "--batch-size", "7", "--no-progress", stdout=out)

    assert (tally_rows(), count_rows()) == live
    report = out.getvalue()
    assert f"lab.TallyTotals: {len(history) - 1} events replayed" in report
    assert f"lab.EventCounts: {len(history) - 1} events replayed" in report
    assert "events/s" in report


@pytest.mark.django_db
def test_one_projection_can_be_rebuilt_alone():
    tally = TallyScript()
    deliver("lab", [tally.opened(), tally.added("a", 2), tally.removed("a", 1)])
    TallyTotal.objects.update(quantity=77)
    EventCount.objects.update(count=77)

    [result] = rebuild_projections(projection="EventCounts")

    assert (result.projection, result.consumer, result.events) == ("EventCounts", "lab", 3)
    assert count_rows() == {"TallyOpened": 1, "ItemAdded": 1, "ItemRemoved": 1}
    assert tally_rows()[tally.tally_id][2] == 77  # untouched
    with pytest.raises(CommandError, match="No projection matches"):
        call_command("rebuild_projections", "--projection", "NoSuchThing", "--no-progress")
    with pytest.raises(CommandError, match="No projection matches"):
        call_command("rebuild_projections", "--context", "AutoFill-is-a-policy", "--no-progress")


@pytest.mark.django_db
def test_inbox_rows_recorded_at_an_old_schema_are_upcast_on_replay():
    """Rows recorded before an upcaster existed (stored as v1) replay in the current schema."""
    now = dt.datetime.now(dt.timezone.utc)
    common = dict(consumer="lab", source_context="lab", stream_type="Tally", stream_id="old-tally", metadata={},
                  recorded_at=now, received_at=now, status=InboxEvent.APPLIED)
    InboxEvent.objects.create(event_id=uuid.uuid4(), version=1, event_type="TallyOpened", schema_version=1,
                              data={"tally_id": "old-tally", "name": "legacy"}, **common)
    InboxEvent.objects.create(event_id=uuid.uuid4(), version=2, event_type="ItemAdded", schema_version=1,
                              data={"tally_id": "old-tally", "item": "tea", "quantity": 4}, **common)

    rebuild_projections(context="lab")

    assert tally_rows() == {"old-tally": ("old-tally", "legacy", 4, Decimal("0.00"), 2)}
    assert count_rows() == {"TallyOpened": 1, "ItemAdded": 1}


class Writer(threading.Thread):
    """Produces lab events to Kafka as fast as the broker acknowledges them, until stopped."""

    def __init__(self, bootstrap: str, topic: str, *, tallies: int = 25, limit: int = 20_000):
        super().__init__(name="lab-writer", daemon=True)
        self.bootstrap, self.topic, self.limit = bootstrap, topic, limit
        self.tallies = [TallyScript() for _ in range(tallies)]
        self.counts: dict[str, int] = {}
        self.sent = 0
        self.stop_event = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        rng = random.Random(7)
        try:
            with Producer(self.bootstrap) as producer:
                for tally in self.tallies:
                    self._send(producer, tally.opened())
                while not self.stop_event.is_set() and self.sent < self.limit:
                    self._send(producer, next_event(rng, rng.choice(self.tallies)))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def _send(self, producer, event):
        producer.send(self.topic, event)
        self.counts[event.event_type] = self.counts.get(event.event_type, 0) + 1
        self.sent += 1

    def stop(self):
        self.stop_event.set()
        self.join(30)
        assert not self.is_alive(), "the writer did not stop"
        assert self.error is None, f"the writer failed: {self.error!r}"


@pytest.fixture
def topics(settings, services_env):
    settings.KAFKA_TOPIC_PREFIX = f"{os.environ.get('KAFKA_TOPIC_PREFIX') or 'pos-test'}.{uuid.uuid4().hex[:10]}"
    return topic_for("lab")


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_while_events_are_produced_and_consumed_loses_nothing_and_doubles_nothing(topics, services_env):
    writer = Writer(services_env["KAFKA_BOOTSTRAP_SERVERS"], topics)
    produced_during_rebuilds = 0
    with ConsumerThread() as consumer:
        writer.start()
        try:
            for _ in range(3):
                seen = inbox_count()
                wait_until(lambda seen=seen: inbox_count() >= seen + 150, timeout=60,
                           message="the consumer to apply more events")
                before = writer.sent
                call_command("rebuild_projections", "--context", "lab", "--batch-size", "50", "--no-progress",
                             stdout=StringIO())
                produced_during_rebuilds += writer.sent - before
        finally:
            writer.stop()
        consumer.wait_messages(writer.sent, timeout=90)

    # The rebuilds really overlapped live traffic (the consumer had to wait for them and catch up).
    assert produced_during_rebuilds > 0
    assert inbox_count() == writer.sent and inbox_count(status=InboxEvent.DEAD) == 0
    assert (consumer.stats.applied, consumer.stats.dead) == (writer.sent, 0)

    tallies, counts = tally_rows(), count_rows()
    independent_tallies, independent_counts = independent_totals()
    assert tallies == independent_tallies
    assert counts == independent_counts
    # And both agree with what the writer meant to say.
    assert tallies == {t.tally_id: t.expected_row() for t in writer.tallies}
    assert counts == writer.counts

    # A rebuild on the quiet system changes nothing either.
    call_command("rebuild_projections", "--no-progress", stdout=StringIO())
    assert (tally_rows(), count_rows()) == (tallies, counts)
