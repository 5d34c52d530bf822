"""Snapshots are a cache: loading from one gives the same aggregate as a full replay."""

from decimal import Decimal

import pytest

from infrastructure.aggregates.repository import Repository
from infrastructure.eventstore.models import Snapshot
from tests.lab.domain import Tally

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


class SnappyTally(Tally):
    snapshot_every = 3

    def to_snapshot(self) -> dict:
        return {"name": self.name, "items": self.items}

    @classmethod
    def from_snapshot(cls, stream_id, state):
        tally = cls(stream_id)
        tally.name, tally.items = state["name"], dict(state["items"])
        return tally


def test_snapshot_is_taken_and_used_and_equals_full_replay():
    repo = Repository(SnappyTally)
    tally = repo.get_or_new("snap-1")
    tally.open("snap")
    for quantity in (1, 2, 3, 4):
        tally.add("nut", quantity, Decimal("0.25"))
    repo.save(tally)  # 5 events: a snapshot at version 5
    snap = Snapshot.objects.get(stream_id="snap-1")
    assert snap.version == 5 and snap.state["items"] == {"nut": 10}

    again = repo.get("snap-1")
    again.remove("nut", 4)
    repo.save(again)  # version 6: not yet 3 past the snapshot, so the snapshot stays at 5
    assert Snapshot.objects.get(stream_id="snap-1").version == 5

    from_snapshot = repo.get("snap-1")
    Snapshot.objects.all().delete()
    full_replay = repo.get("snap-1")
    for loaded in (from_snapshot, full_replay):
        assert (loaded.version, loaded.name, loaded.items) == (6, "snap", {"nut": 6})
