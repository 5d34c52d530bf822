"""The stores domain without a database: value rules (codes, IANA time zones, tax ids, addresses),
the store aggregate's rules and replay, and the committed event schemas."""

import json

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from contexts.stores.domain import values
from contexts.stores.domain.events import StoreAddress, StoreClosed, StoreRegistered, StoreReopened, StoreUpdated
from contexts.stores.domain.staff import StaffMember
from contexts.stores.domain.staff import stream_id_of as staff_stream_id_of
from contexts.stores.domain.store import CLOSED, OPEN, Store, stream_id_of
from kernel.errors import Conflict, DomainError
from kernel.events import registered_events
from kernel.serialization import event_to_data
from infrastructure.management.commands.export_event_schemas import render, schema_path
from tests.stores.support import BERLIN

pytestmark = pytest.mark.unit


def new_store(**changes) -> Store:
    store = Store(stream_id_of("BER"))
    store.register(**{**BERLIN, **changes})
    return store


class TestValues:
    def test_a_code_is_upper_cased_letters_and_digits(self):
        assert values.clean_code(" s1 ") == "S1"
        for bad in ("", "S-1", "TOOLONGCODE", "Ü1", None):
            with pytest.raises(DomainError) as excinfo:
                values.clean_code(bad)
            assert excinfo.value.field == "code"

    def test_a_time_zone_is_an_iana_name_in_its_own_spelling(self):
        assert values.clean_time_zone("Europe/Berlin") == "Europe/Berlin"
        assert values.clean_time_zone(" america/new_york ") == "America/New_York"
        assert values.clean_time_zone("UTC") == "UTC"
        for bad in ("CET+1", "Mars/Olympus", "", "+01:00", "../etc/passwd"):
            with pytest.raises(DomainError) as excinfo:
                values.clean_time_zone(bad)
            assert excinfo.value.field == "time_zone"

    def test_a_tax_id_is_required_and_upper_cased(self):
        assert values.clean_tax_id("de 123 456 789") == "DE 123 456 789"
        with pytest.raises(DomainError) as excinfo:
            values.clean_tax_id("")
        assert excinfo.value.field == "tax_id"

    def test_receipt_texts_keep_their_lines_trimmed(self):
        assert values.clean_receipt_text("  Welcome!  \n  Open  daily \n", "receipt_header") == "Welcome!\nOpen daily"
        with pytest.raises(DomainError) as excinfo:
            values.clean_receipt_text("x" * 501, "receipt_footer")
        assert excinfo.value.field == "receipt_footer"

    def test_an_address_needs_line1_city_and_an_iso_country(self):
        address = values.clean_address({"line1": " 1  Main St ", "city": "Berlin", "country": "de"})
        assert address == StoreAddress(line1="1 Main St", line2="", city="Berlin", postal_code="", country="DE")
        for bad, field in (({"city": "B", "country": "DE"}, "address.line1"),
                           ({"line1": "1", "city": "B", "country": "Germany"}, "address.country"),
                           ({"line1": "1", "city": "B", "country": "DE", "zip": "1"}, "address.zip"),
                           (None, "address")):
            with pytest.raises(DomainError) as excinfo:
                values.clean_address(bad)
            assert excinfo.value.field == field


class TestStore:
    def test_registering_records_the_normalised_details_and_opens_the_store(self):
        store = new_store(code="ber", time_zone="europe/berlin")
        (event,) = store.pending_events
        assert isinstance(event, StoreRegistered)
        assert (event.code, event.time_zone, event.address.country) == ("BER", "Europe/Berlin", "DE")
        assert store.status == OPEN and store.version == 1

    def test_a_code_is_registered_once(self):
        store = new_store()
        with pytest.raises(Conflict) as excinfo:
            store.register(**BERLIN)
        assert excinfo.value.field == "code"

    def test_an_update_records_all_details_and_an_update_to_the_same_details_records_nothing(self):
        store = new_store()
        store.collect_pending()
        assert store.update(time_zone="Europe/Paris") is True
        (event,) = store.collect_pending()
        assert isinstance(event, StoreUpdated)
        assert (event.time_zone, event.name, event.tax_id) == ("Europe/Paris", "Berlin Mitte", "DE123456789")
        assert store.update(time_zone="Europe/Paris", name="Berlin Mitte") is False
        assert store.collect_pending() == []

    def test_a_bad_update_names_the_field_and_changes_nothing(self):
        store = new_store()
        with pytest.raises(DomainError) as excinfo:
            store.update(time_zone="Berlin")
        assert excinfo.value.field == "time_zone"
        assert (store.time_zone, store.version) == ("Europe/Berlin", 1)

    def test_closing_and_reopening_and_their_repeats(self):
        store = new_store()
        store.close("Renovation")
        assert store.status == CLOSED
        with pytest.raises(Conflict):
            store.close()
        store.reopen()
        assert store.status == OPEN
        with pytest.raises(Conflict):
            store.reopen()
        assert [type(e) for e in store.pending_events] == [StoreRegistered, StoreClosed, StoreReopened]

    def test_replay_gives_the_same_state(self):
        store = new_store()
        store.update(name="Berlin Alexanderplatz")
        store.close("Moving")
        replayed = Store.replay(store.id, store.pending_events)
        assert replayed.state() == store.state()


@pytest.mark.parametrize("cls", registered_events("stores"), ids=lambda cls: cls.__name__)
def test_each_event_has_its_committed_schema_and_its_data_validates(cls):
    path = schema_path(cls)
    assert path.read_text() == render(cls), f"{path} is stale: run manage.py export_event_schemas"
    store = new_store()
    store.update(name="Renamed")
    store.close("x")
    store.reopen()
    member = StaffMember(staff_stream_id_of("anna"))
    member.create(username="anna", role="cashier", stores=["BER"], by=None)
    member.assign(["BER", "NYC"], by=None)
    member.reset_password(by=None)
    member.deactivate("left", by=None)
    (event,) = [e for e in (*store.pending_events, *member.pending_events) if isinstance(e, cls)]
    validator = Draft202012Validator(json.loads(path.read_text()), format_checker=FormatChecker())
    assert list(validator.iter_errors(event_to_data(event))) == []
