"""An ItemAdded stored at schema v1 (no amount) replays as the current ItemAdded (v2) with amount 0.00:
through the envelope (no database) and through the Tally repository (a real stored v1 row)."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from infrastructure.aggregates.repository import Repository
from infrastructure.eventstore.envelope import Envelope
from infrastructure.eventstore.models import StoredEvent
from tests.lab.domain import ItemAdded, Tally, TallyOpened


def v1_item_added(stream_id="tally-v1", version=2) -> Envelope:
    return Envelope(event_id=uuid.uuid4(), source_context="lab", stream_type="Tally", stream_id=stream_id,
                    version=version, event_type="ItemAdded", schema_version=1,
                    data={"tally_id": stream_id, "item": "tea", "quantity": 2}, metadata={},
                    recorded_at=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc))


@pytest.mark.unit
def test_the_current_item_added_is_v2():
    assert ItemAdded.schema_version == 2


@pytest.mark.unit
def test_a_v1_envelope_upcasts_to_v2_with_a_zero_amount():
    old = v1_item_added()

    current = old.upcasted()

    assert (current.schema_version, current.data) == (2, {"tally_id": "tally-v1", "item": "tea", "quantity": 2,
                                                          "amount": "0.00"})
    assert current.event_id == old.event_id and old.schema_version == 1  # a new envelope; the old one is intact
    assert "amount" not in old.data


@pytest.mark.unit
def test_a_v1_envelope_becomes_the_current_event_class():
    event = v1_item_added().to_event()

    assert event == ItemAdded(tally_id="tally-v1", item="tea", quantity=2, amount=Decimal("0.00"))
    assert isinstance(event.amount, Decimal)


@pytest.mark.unit
def test_a_current_envelope_is_left_as_it_is():
    env = Envelope(event_id=uuid.uuid4(), source_context="lab", stream_type="Tally", stream_id="t", version=1,
                   event_type="ItemAdded", schema_version=2,
                   data={"tally_id": "t", "item": "x", "quantity": 1, "amount": "2.50"}, metadata={},
                   recorded_at=dt.datetime.now(dt.timezone.utc))

    assert env.upcasted() is env
    assert env.to_event().amount == Decimal("2.50")


@pytest.mark.integration
@pytest.mark.django_db
def test_a_stored_v1_event_replays_through_the_repository():
    now = dt.datetime.now(dt.timezone.utc)
    common = dict(context="lab", stream_type="Tally", stream_id="tally-old", metadata={}, recorded_at=now)
    StoredEvent.objects.create(event_id=uuid.uuid4(), version=1, event_type="TallyOpened", schema_version=1,
                               data={"tally_id": "tally-old", "name": "from 2019"}, **common)
    StoredEvent.objects.create(event_id=uuid.uuid4(), version=2, event_type="ItemAdded", schema_version=1,
                               data={"tally_id": "tally-old", "item": "tea", "quantity": 2}, **common)
    StoredEvent.objects.create(event_id=uuid.uuid4(), version=3, event_type="ItemAdded", schema_version=2,
                               data={"tally_id": "tally-old", "item": "tea", "quantity": 1, "amount": "3.00"},
                               **common)

    repository = Repository(Tally)
    tally = repository.get("tally-old")
    loaded = [env.to_event() for env in repository.store.load("tally-old")]

    assert (tally.name, tally.items, tally.version) == ("from 2019", {"tea": 3}, 3)
    assert loaded == [TallyOpened(tally_id="tally-old", name="from 2019"),
                      ItemAdded(tally_id="tally-old", item="tea", quantity=2, amount=Decimal("0.00")),
                      ItemAdded(tally_id="tally-old", item="tea", quantity=1, amount=Decimal("3.00"))]
    # The stored row itself is never rewritten: upcasting happens on the way out.
    assert StoredEvent.objects.get(stream_id="tally-old", version=2).schema_version == 1
