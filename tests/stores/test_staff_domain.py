"""Staff rules without a database: who may make, move, reset and deactivate whom."""

import pytest

from contexts.stores.domain.events import StaffAccountCreated, StaffStoresAssigned
from contexts.stores.domain.staff import OutOfScope, StaffMember, stream_id_of
from kernel.errors import Conflict, DomainError

pytestmark = pytest.mark.unit

HEAD_OFFICE = None  # the acting manager's stores: None is head office
BERLIN_MANAGER = frozenset({"BER"})


def member(username="anna", role="cashier", stores=("BER",), by=HEAD_OFFICE) -> StaffMember:
    staff = StaffMember(stream_id_of(username))
    staff.create(username=username, role=role, stores=list(stores), by=by)
    return staff


def test_a_cashier_is_made_in_their_stores_sorted_and_upper_cased():
    staff = member(stores=["nyc", "ber", "BER"])
    (event,) = staff.pending_events
    assert event == StaffAccountCreated(username="anna", role="cashier", stores=["BER", "NYC"])


@pytest.mark.parametrize("fields, field", [
    ({"username": "an na"}, "username"), ({"role": "owner"}, "role"), ({"stores": []}, "stores"),
    ({"stores": ["S-1"]}, "stores.0"), ({"stores": "BER"}, "stores"),
])
def test_bad_details_name_the_field(fields, field):
    details = {"username": "anna", "role": "cashier", "stores": ["BER"], **fields}
    with pytest.raises(DomainError) as excinfo:
        StaffMember(stream_id_of("x")).create(**details, by=HEAD_OFFICE)
    assert excinfo.value.field == field


def test_a_store_manager_makes_staff_only_in_their_stores_and_never_head_office():
    member(stores=["BER"], by=BERLIN_MANAGER)  # fine
    with pytest.raises(OutOfScope) as excinfo:
        member(stores=["BER", "NYC"], by=BERLIN_MANAGER)
    assert (excinfo.value.status, excinfo.value.field) == (403, "stores")
    with pytest.raises(OutOfScope):
        member(role="manager", stores=[], by=BERLIN_MANAGER)
    assert member(role="manager", stores=[], by=HEAD_OFFICE).stores == []  # head office makes head office


def test_moving_staff_needs_both_the_old_and_the_new_store_in_scope():
    staff = member(stores=["BER", "NYC"])
    staff.collect_pending()
    with pytest.raises(OutOfScope):
        staff.assign(["BER"], by=BERLIN_MANAGER)  # takes them out of NYC, which Berlin does not manage
    assert staff.assign(["BER", "NYC"], by=BERLIN_MANAGER) is False  # the same stores: nothing recorded
    assert staff.assign(["NYC"], by=HEAD_OFFICE) is True
    assert staff.collect_pending() == [StaffStoresAssigned(username="anna", stores=["NYC"])]
    with pytest.raises(OutOfScope):  # no longer works in Berlin: not Berlin's to manage
        staff.reset_password(by=BERLIN_MANAGER)


def test_deactivating_once_and_the_account_stays_in_its_stores():
    staff = member()
    staff.deactivate("left", by=BERLIN_MANAGER)
    assert (staff.active, staff.stores) == (False, ["BER"])
    with pytest.raises(Conflict):
        staff.deactivate(by=HEAD_OFFICE)
    with pytest.raises(Conflict):
        staff.create(username="anna", role="cashier", stores=["BER"], by=HEAD_OFFICE)
