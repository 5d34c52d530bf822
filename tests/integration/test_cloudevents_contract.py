"""What the relay puts on Kafka is a CloudEvents 1.0 event in the Kafka binding's binary mode, as
the official SDK reads it, and its data matches the event class's published JSON Schema."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from jsonschema import Draft202012Validator

from infrastructure.aggregates.repository import Repository
from infrastructure.commands.metadata import Metadata
from kernel.events import event_class
from infrastructure.events.schemas import event_schema
from infrastructure.kafka.cloudevents import from_message
from infrastructure.kafka.topics import topic_for
from infrastructure.outbox.relay import relay_pending
from tests.helpers.kafka import read_topic
from tests.lab.domain import ItemAdded, Tally, TallyOpened

pytestmark = pytest.mark.integration

LAB = "lab"


def formats_in(schema) -> set[str]:
    found = set()
    if isinstance(schema, dict):
        if "format" in schema:
            found.add(schema["format"])
        for value in schema.values():
            found |= formats_in(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= formats_in(value)
    return found


def validator_for(cls) -> Draft202012Validator:
    schema = event_schema(cls)
    Draft202012Validator.check_schema(schema)
    checker = Draft202012Validator.FORMAT_CHECKER
    # A format the checker does not know is silently accepted: make that a visible failure.
    assert formats_in(schema) <= set(checker.checkers), f"unchecked formats in {cls.__name__}'s schema"
    return Draft202012Validator(schema, format_checker=checker)


@pytest.fixture
def published_tally():
    """A lab Tally with two events, relayed to the real broker; (envelopes, records) in version order."""
    stream = str(uuid.uuid4())
    metadata = Metadata.new(user="dana", till="till-3", request_id="req-42").caused_by(uuid.uuid4(), "corr-7")
    repo = Repository(Tally, metadata.as_dict())
    tally = repo.get_or_new(stream)
    tally.open("Contract")
    tally.add("espresso", 2, Decimal("2.40"))
    envelopes = repo.save(tally)

    published = []
    assert relay_pending(LAB, on_published=published.extend) == 2
    assert [e.event_id for e in published] == [e.event_id for e in envelopes]

    records = [r for r in read_topic(topic_for(LAB)) if r.key == stream.encode()]
    assert len(records) == 2
    return envelopes, sorted(records, key=lambda r: r.offset), metadata


@pytest.mark.django_db
def test_the_official_sdk_reads_our_messages_as_cloudevents_1_0_binary_mode(published_tally):
    envelopes, records, metadata = published_tally

    for envelope, record in zip(envelopes, records, strict=True):
        message = KafkaMessage(headers={k: v for k, v in record.headers}, key=record.key, value=record.value)
        event = from_binary(message, JSONFormat())

        assert isinstance(event, CloudEvent)
        assert event.get_specversion() == "1.0"
        assert event.get_id() == str(envelope.event_id)
        assert event.get_source() == "/pos/lab"
        assert event.get_type() == f"pos.lab.{envelope.event_type}.v{envelope.schema_version}"
        assert event.get_time() == envelope.recorded_at
        assert event.get_time().utcoffset() == dt.timedelta(0)
        assert event.get_subject() == envelope.stream_id
        assert event.get_datacontenttype() == "application/json"
        assert event.get_extension("partitionkey") == envelope.stream_id  # the SDK's name for the key
        assert event.get_extension("streamtype") == "Tally"
        assert event.get_extension("streamversion") == str(envelope.version)
        assert event.get_extension("schemaversion") == str(envelope.schema_version)
        assert event.get_extension("correlationid") == "corr-7"
        assert event.get_extension("causationid") == metadata.causation_id
        assert event.get_extension("user") == "dana"
        assert event.get_extension("till") == "till-3"
        assert event.get_extension("requestid") == "req-42"
        assert event.get_data() == envelope.data
        # Binary mode: the value is the bare data, not a structured CloudEvents envelope.
        assert json.loads(record.value) == envelope.data


@pytest.mark.django_db
def test_the_data_on_kafka_validates_against_the_event_class_json_schema(published_tally):
    _, records, _ = published_tally

    types = []
    for record in records:
        event = from_binary(KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value),
                            JSONFormat())
        _, context, event_type, version_tag = event.get_type().split(".")
        cls = event_class(context, event_type)
        assert cls is not None and f"v{cls.schema_version}" == version_tag
        errors = [e.message for e in validator_for(cls).iter_errors(event.get_data())]
        assert errors == []
        types.append(cls)
    assert types == [TallyOpened, ItemAdded]

    # The check has teeth: money as a float, or a field too many, is refused.
    data = json.loads(records[1].value)
    assert data["amount"] == "2.40"
    validator = validator_for(ItemAdded)
    assert not validator.is_valid({**data, "amount": 2.4})
    assert not validator.is_valid({**data, "colour": "red"})
    assert not validator.is_valid({k: v for k, v in data.items() if k != "item"})


@pytest.mark.django_db
def test_our_own_reader_gets_back_exactly_the_envelope_that_was_published(published_tally):
    envelopes, records, _ = published_tally

    for envelope, record in zip(envelopes, records, strict=True):
        back = from_message(record.headers, record.value)
        assert back == dataclasses.replace(envelope, position=None)
        assert back.to_event() == envelope.to_event()
