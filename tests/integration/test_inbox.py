"""The inbox on PostgreSQL: every event has its effect once, a failing event is isolated and
buried (DEAD) while the others go on, and a policy runs once per event and never on rebuild."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from infrastructure.aggregates.repository import Repository
from infrastructure.consumers import registry
from infrastructure.consumers.inbox import apply_batch, deliver
from infrastructure.consumers.local import dispatch_locally
from infrastructure.consumers.models import InboxEvent
from infrastructure.eventstore.models import StoredEvent
from infrastructure.projections.projection import Projection
from tests.helpers.consumers import TallyScript, count_rows, inbox_count, tally_rows
from tests.lab.domain import Tally
from tests.lab.subscribers import AUTO_ITEM

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_the_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_the_same_event_applied_twice_has_one_effect():
    tally = TallyScript()
    opened, added = tally.opened(), tally.added("apple", 3, "4.50")

    first = apply_batch("lab", [opened, added])
    again = apply_batch("lab", [added])

    assert [e.event_id for e in first.applied] == [opened.event_id, added.event_id]
    assert (first.duplicates, again.applied, again.duplicates) == (0, [], 1)
    assert tally_rows() == {tally.tally_id: (tally.tally_id, tally.name, 3, Decimal("4.50"), 2)}
    assert count_rows() == {"TallyOpened": 1, "ItemAdded": 1}
    assert inbox_count() == 2


def test_a_duplicate_inside_a_batch_is_applied_once():
    tally = TallyScript()
    opened, added = tally.opened(), tally.added("pear", 2)

    result = apply_batch("lab", [opened, added, added, opened])

    assert [e.event_id for e in result.applied] == [opened.event_id, added.event_id]
    assert result.duplicates == 2
    assert tally_rows()[tally.tally_id] == tally.expected_row()
    assert count_rows() == {"TallyOpened": 1, "ItemAdded": 1}
    assert inbox_count() == 2


def test_events_are_stored_upcast_and_applied_in_the_current_schema():
    tally = TallyScript()
    old = tally.added_v1("plum", 4)

    apply_batch("lab", [tally.opened(), old])

    row = InboxEvent.objects.get(consumer="lab", event_id=old.event_id)
    assert (row.schema_version, row.data["amount"]) == (2, "0.00")
    assert tally_rows()[tally.tally_id][2:4] == (4, Decimal("0.00"))


class Exploding(Projection):
    """Fails on every item named "boom" (a poison event), counts the attempts."""

    name = "Exploding"
    consumer = "lab"
    subscriptions = {"lab": {"ItemAdded"}}
    tables = ()

    def __init__(self):
        self.attempts = 0

    def on_ItemAdded(self, envelope):
        if envelope.data["item"] == "boom":
            self.attempts += 1
            raise ValueError(f"cannot handle item boom (attempt {self.attempts})")


@pytest.fixture
def exploding():
    projection = registry.register(Exploding())
    yield projection
    registry.unregister("lab", projection.name)


def test_an_event_that_keeps_failing_is_dead_with_its_error_and_the_others_are_applied(exploding):
    tally = TallyScript()
    opened, good1, poison, good2 = tally.opened(), tally.added("a", 1), tally.added("boom", 5), tally.added("b", 2)
    dead = []

    result = deliver("lab", [opened, good1, poison, good2], max_attempts=3, retry_delay=0.001,
                     on_dead=lambda env, err: dead.append((env.event_id, err)))

    assert result.fell_back and result.applied == 3 and result.duplicates == 0
    assert [(env.event_id, err) for env, err in result.dead] == dead
    assert len(dead) == 1 and dead[0][0] == poison.event_id
    assert dead[0][1].startswith("ValueError: cannot handle item boom")
    assert exploding.attempts == 1 + 3  # the whole batch once, then the event alone three times
    row = InboxEvent.objects.get(consumer="lab", event_id=poison.event_id)
    assert row.status == InboxEvent.DEAD
    assert row.error.startswith("ValueError: cannot handle item boom") and "Traceback" in row.error
    assert set(InboxEvent.objects.filter(consumer="lab", status=InboxEvent.APPLIED)
               .values_list("event_id", flat=True)) == {opened.event_id, good1.event_id, good2.event_id}
    # The failed batch attempt left nothing behind: each good event counted once, the poison not at all.
    assert count_rows() == {"TallyOpened": 1, "ItemAdded": 2}
    assert tally_rows()[tally.tally_id][2:] == (3, Decimal("3.00"), 3)

    # Redelivered, the dead event is tried again (it may have failed only for a late predecessor);
    # still failing, it stays DEAD and is not dead-lettered a second time.
    again = deliver("lab", [poison], max_attempts=3, retry_delay=0.001,
                    on_dead=lambda env, err: dead.append((env.event_id, err)))
    assert (again.applied, again.duplicates, again.dead) == (0, 1, [])
    assert exploding.attempts == 4 + 3 and len(dead) == 1
    assert InboxEvent.objects.get(consumer="lab", event_id=poison.event_id).status == InboxEvent.DEAD

    # And a rebuild skips it (status DEAD), so the rebuilt tables equal the live ones.
    live = (tally_rows(), count_rows())
    call_command("rebuild_projections", "--context", "lab", "--no-progress", "--projection", "TallyTotals")
    call_command("rebuild_projections", "--context", "lab", "--no-progress", "--projection", "EventCounts")
    assert (tally_rows(), count_rows()) == live


def test_a_dead_event_delivered_again_is_applied_once_its_cause_is_gone(exploding):
    """As after a broker failure, when a stream's later event reached Kafka before the earlier one
    and failed for want of it: once it comes again (re-published), it is applied, once."""
    tally = TallyScript()
    opened, boom = tally.opened(), tally.added("boom", 5)
    dead = []
    first = deliver("lab", [opened, boom], max_attempts=2, retry_delay=0.001,
                    on_dead=lambda env, err: dead.append(env.event_id))
    assert [env.event_id for env, _ in first.dead] == dead == [boom.event_id]

    exploding.on_ItemAdded = lambda envelope: None  # the cause is gone
    again = deliver("lab", [opened, boom], on_dead=lambda env, err: dead.append(env.event_id))
    assert (again.applied, again.duplicates, again.dead) == (1, 1, [])
    assert InboxEvent.objects.get(consumer="lab", event_id=boom.event_id).status == InboxEvent.APPLIED
    assert tally_rows()[tally.tally_id] == tally.expected_row()  # applied once
    once_more = deliver("lab", [boom])
    assert (once_more.applied, once_more.duplicates) == (0, 1) and dead == [boom.event_id]
    assert tally_rows()[tally.tally_id] == tally.expected_row()


def test_a_single_failing_event_is_tried_max_attempts_times(exploding):
    tally = TallyScript()
    apply_batch("lab", [tally.opened()])
    dead = []

    result = deliver("lab", [tally.added("boom", 1)], max_attempts=2, retry_delay=0.001,
                     on_dead=lambda env, err: dead.append(err))

    assert exploding.attempts == 2
    assert len(result.dead) == 1 and len(dead) == 1
    assert inbox_count(status=InboxEvent.DEAD) == 1


def test_embedded_dispatch_delivers_to_the_consuming_contexts_with_the_same_dedupe():
    tally = TallyScript()
    events = [tally.opened(), tally.added("fig", 2), tally.removed("fig", 1)]

    results = dispatch_locally(events)
    again = dispatch_locally(events)

    assert registry.consumers_of("lab") == ["lab"]
    assert (results["lab"].applied, again["lab"].applied, again["lab"].duplicates) == (3, 0, 3)
    assert tally_rows()[tally.tally_id] == tally.expected_row()


def _stream_events(stream_id):
    return list(StoredEvent.objects.filter(stream_id=stream_id).order_by("version")
                .values_list("event_type", "data", "metadata"))


def test_a_policy_runs_once_per_event_and_never_on_rebuild():
    tallies = Repository(Tally, {"correlation_id": "corr-1"})
    tally = tallies.get_or_new("tally-auto-1")
    tally.open("auto-breakfast")
    [opened] = tallies.save(tally)
    plain = tallies.get_or_new("tally-plain-1")
    plain.open("breakfast")
    [plain_opened] = tallies.save(plain)

    apply_batch("lab", [opened, plain_opened])
    apply_batch("lab", [opened])  # redelivered
    deliver("lab", [opened, plain_opened])  # and again

    history = _stream_events("tally-auto-1")
    assert [event_type for event_type, _, _ in history] == ["TallyOpened", "ItemAdded"]
    _, data, metadata = history[1]
    assert (data["item"], data["quantity"], data["amount"]) == (AUTO_ITEM, 1, "1.00")
    assert metadata["causation_id"] == str(opened.event_id)
    assert metadata["correlation_id"] == "corr-1"
    assert [t for t, _, _ in _stream_events("tally-plain-1")] == ["TallyOpened"]  # not "auto-": no reaction

    call_command("rebuild_projections", "--context", "lab", "--no-progress")

    assert [t for t, _, _ in _stream_events("tally-auto-1")] == ["TallyOpened", "ItemAdded"]
    assert StoredEvent.objects.filter(context="lab").count() == 3
    assert tally_rows()["tally-auto-1"] == ("tally-auto-1", "auto-breakfast", 0, Decimal("0.00"), 1)
