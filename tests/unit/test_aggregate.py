"""The aggregate base, event (de)serialisation and schema generation, on the lab Tally (no DB)."""

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from infrastructure.commands.metadata import Metadata
from kernel.errors import DomainError
from kernel.events import DomainEvent
from kernel.events import event_class
from infrastructure.events.schemas import event_schema
from kernel.serialization import event_from_data, event_to_data
from tests.lab.domain import ItemAdded, Tally, TallyOpened

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class _Line:
    sku: str
    price: Decimal


@dataclass(frozen=True)
class _Sample(DomainEvent, context="unit-test"):
    sample_id: uuid.UUID
    at: dt.datetime
    lines: tuple[_Line, ...]
    note: str | None = None


def test_state_changes_only_through_recorded_events_and_replay_matches():
    tally = Tally("t-1")
    tally.open("front")
    tally.add("apple", 3, Decimal("1.50"))
    tally.remove("apple", 1)
    assert tally.version == 3
    pending = tally.collect_pending()
    assert [type(e).__name__ for e in pending] == ["TallyOpened", "ItemAdded", "ItemRemoved"]
    assert tally.collect_pending() == []

    replayed = Tally.replay("t-1", pending)
    assert replayed.items == tally.items == {"apple": 2}
    assert replayed.name == "front" and replayed.version == 3


def test_a_refused_command_records_nothing():
    tally = Tally("t-2")
    tally.open("x")
    tally.collect_pending()
    with pytest.raises(DomainError) as err:
        tally.remove("pear", 1)
    assert err.value.field == "quantity"
    assert tally.pending_events == () and tally.version == 1


def test_events_round_trip_through_json_without_floats():
    event = _Sample(sample_id=uuid.uuid4(), at=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
                    lines=(_Line("A", Decimal("0.10")), _Line("B", Decimal("19.99"))))
    data = event_to_data(event)
    assert data["lines"][0]["price"] == "0.10" and data["at"] == "2026-01-02T03:04:05Z"
    assert event_from_data(_Sample, data) == event


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        event_to_data(_Sample(sample_id=uuid.uuid4(), at=dt.datetime(2026, 1, 1), lines=()))


def test_generated_schema_accepts_the_event_and_rejects_bad_data():
    schema = event_schema(_Sample)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    good = event_to_data(_Sample(sample_id=uuid.uuid4(), at=dt.datetime.now(dt.timezone.utc),
                                 lines=(_Line("A", Decimal("2.00")),)))
    assert not list(validator.iter_errors(good))
    bad = {**good, "lines": [{"sku": "A", "price": 2.0}]}  # a float price breaks the contract
    assert list(validator.iter_errors(bad))
    assert schema["required"] == ["sample_id", "at", "lines"]


def test_event_registry_and_versions():
    assert event_class("lab", "ItemAdded") is ItemAdded
    assert ItemAdded.schema_version == 2 and TallyOpened.schema_version == 1
    assert event_class("lab", "NoSuchEvent") is None


def test_metadata_for_a_reaction_keeps_the_correlation():
    first = Metadata.new(user="cashier", request_id="r1")
    assert first.correlation_id == "r1"
    reaction = first.caused_by("evt-1", first.correlation_id)
    assert reaction.causation_id == "evt-1" and reaction.correlation_id == "r1"
    assert "till" not in reaction.as_dict()
