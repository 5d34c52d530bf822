"""Elasticity of a context's consumers: the events topics have 6 partitions, so a second
`consume_events` process of the same context (same consumer group) takes some of them over, and
when one is SIGKILLed the group gives its partitions to the other. Events are written through
the lab context's event store and relayed to Kafka in waves: with one process, with two, and
right after the kill. At the end no event is lost or applied twice, and each stream's events
were applied in version order.
"""

from decimal import Decimal

import pytest

from infrastructure.eventstore.store import EventStore
from infrastructure.kafka.topics import PARTITIONS
from infrastructure.outbox.models import OutboxEntry
from infrastructure.outbox.relay import relay_pending
from tests.helpers import wait_until
from tests.helpers.consumers import count_rows, inbox_count, tally_rows
from tests.lab.domain import ItemAdded, TallyOpened
from tests.helpers.fleet import (
    Stopwatch,
    assert_every_consumer_has_every_event,
    batch_totals,
    events_of,
    fleet,  # noqa: F401 - fixture
    group_assignment,
    inbox_in_stream_order,
    report,
    sigkill,
    topic_prefix,  # noqa: F401 - fixture
)

pytestmark = [pytest.mark.e2e, pytest.mark.disruptive]

LAB = "lab"
STREAMS, PER_WAVE = 24, 4  # events per stream in each of the three waves
WAIT_S = 45.0  # the kill's partitions wait for the session timeout (10 s) before they move
A, B = "consumer:lab", "consumer:lab#2"


class Tallies:
    """Writes waves of lab events, each stream's versions in order, and relays them to Kafka."""

    def __init__(self):
        self.store = EventStore(LAB)
        self.ids = [f"el-{n:02d}" for n in range(STREAMS)]
        self.version = dict.fromkeys(self.ids, 0)
        self.written = 0

    def wave(self) -> int:
        for stream in self.ids:
            events = []
            for _ in range(PER_WAVE):
                version = self.version[stream] + len(events)
                events.append(TallyOpened(tally_id=stream, name=f"tally {stream}") if version == 0 else
                              ItemAdded(tally_id=stream, item=f"i{version}", quantity=1, amount=Decimal("0.25")))
            self.store.append("Tally", stream, self.version[stream], events)
            self.version[stream] += len(events)
            self.written += len(events)
        wait_until(relayed, timeout=30, interval=0.1, message="the wave to be relayed to Kafka")
        return self.written


def relayed() -> bool:
    relay_pending(LAB)
    return not OutboxEntry.objects.filter(context=LAB, published_at__isnull=True).exists()


def applied(count: int):
    return lambda: inbox_count(LAB) >= count


def members_holding(min_members: int):
    def check():
        members = group_assignment(LAB)
        return members if len(members) >= min_members and all(members.values()) and sum(
            len(p) for p in members.values()) == PARTITIONS else None
    return check


def test_a_second_consumer_takes_partitions_and_a_killed_ones_go_back(fleet, record_property, capsys):  # noqa: F811
    tallies = Tallies()
    fleet.start(A)
    alone = wait_until(members_holding(1), timeout=WAIT_S, interval=0.2, message="the first consumer's assignment")
    [member_a] = alone
    wait_until(applied(tallies.wave()), timeout=WAIT_S, interval=0.1, message="wave 1 applied by one process")

    fleet.start(B)
    shared = wait_until(lambda: (m := members_holding(2)()) and len(m) == 2 and m, timeout=WAIT_S, interval=0.2,
                        message="the second consumer to join and take partitions")
    assert member_a in shared and shared[member_a] != alone[member_a]  # A gave some partitions up
    wait_until(applied(tallies.wave()), timeout=WAIT_S, interval=0.1, message="wave 2 applied by two processes")
    process_b = fleet.current[B]
    b_applied = batch_totals(process_b)[1]
    assert b_applied > 0  # the newcomer applied events of its partitions

    # Wave 3 goes to every partition; the second process is killed as soon as it applies some of it.
    total = tallies.wave()
    wait_until(lambda: batch_totals(process_b)[1] > b_applied, timeout=WAIT_S, interval=0.005,
               message="the second process to start on wave 3")
    fleet.current.pop(B)
    sigkill(process_b)
    killed = Stopwatch()
    b_applied_at_kill = batch_totals(process_b)[1]
    wait_until(applied(total), timeout=WAIT_S, interval=0.1, message="wave 3 applied by the survivor")
    recovered_s = killed()
    after = wait_until(lambda: (m := members_holding(1)()) and len(m) == 1 and m, timeout=WAIT_S, interval=0.2,
                       message="the survivor to hold every partition")
    assert list(after) == [member_a]  # the killed process's partitions went to the survivor

    # nothing lost, nothing twice, each stream in order
    inbox_rows = assert_every_consumer_has_every_event([LAB])
    assert inbox_rows[LAB] == total == events_of(LAB).count()
    per_stream = 3 * PER_WAVE
    assert inbox_in_stream_order(LAB) == {s: list(range(1, per_stream + 1)) for s in tallies.ids}
    rows = tally_rows()
    assert {s: rows[s][1:] for s in tallies.ids} == {
        s: (f"tally {s}", per_stream - 1, Decimal("0.25") * (per_stream - 1), per_stream) for s in tallies.ids}
    assert count_rows() == {"TallyOpened": STREAMS, "ItemAdded": STREAMS * (per_stream - 1)}
    messages, applied_total, duplicates = fleet.consumer_batches(LAB)
    report(record_property, capsys, "elasticity: second consumer joins, one is SIGKILLed", {
        "partitions": PARTITIONS, "streams": STREAMS, "events_appended": total,
        "assignment_one": {m[-8:]: sorted(p for _, p in parts) for m, parts in alone.items()},
        "assignment_two": {m[-8:]: sorted(p for _, p in parts) for m, parts in shared.items()},
        "assignment_after_kill": {m[-8:]: sorted(p for _, p in parts) for m, parts in after.items()},
        "applied_by_second_process": [b_applied, b_applied_at_kill],
        "messages_applied_duplicates": [messages, applied_total, duplicates],
        "inbox_rows": inbox_rows[LAB], "lost": 0, "recovered_after_kill_s": recovered_s,
    })
