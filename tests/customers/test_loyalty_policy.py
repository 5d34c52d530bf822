"""Loyalty points from sales events, fed through the consumers' inbox exactly as the Kafka
consumer (or the embedded relay) hands them over: `infrastructure.consumers.inbox.deliver` for
consumer "customers". The customers' own events then reach the read model in-process."""

import logging
import uuid
from decimal import Decimal

import pytest

from contexts.customers.models import CustomerView
from infrastructure.consumers.inbox import deliver
from infrastructure.consumers.models import InboxEvent
from infrastructure.projections.rebuild import rebuild_projections
from tests.customers.support import (
    customer_event_count, event_types, events_of, make_customer, order_completed, order_refunded, points_of,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]

CONSUMER = "customers"


def feed(*envelopes):
    return deliver(CONSUMER, list(envelopes), retry_delay=0)


def test_a_paid_order_earns_one_point_per_whole_currency_unit():
    customer_id = make_customer()
    completed = order_completed(customer_id, "42.99")

    result = feed(completed)

    assert (result.applied, result.dead) == (1, [])
    assert points_of(customer_id) == 42
    event_type, data = events_of(customer_id)[-1]
    assert (event_type, data) == ("LoyaltyPointsEarned", {
        "customer_id": str(customer_id), "order_id": completed.data["order_id"], "points": 42, "amount": "42.99"})
    from infrastructure.http.history import history_entries

    last = history_entries("customers", customer_id)[-1]
    assert (last["user"], last["causation_id"], last["correlation_id"], last["till"]) == (
        "policy:sales", str(completed.event_id), completed.metadata["correlation_id"], "till-1")


def test_the_unit_is_a_setting(settings):
    settings.POS_LOYALTY_UNIT = Decimal("10.00")
    customer_id = make_customer()

    feed(order_completed(customer_id, "99.99"))

    assert points_of(customer_id) == 9


def test_a_redelivered_event_has_one_effect():
    customer_id = make_customer()
    completed = order_completed(customer_id, "10.00")

    first, again = feed(completed), feed(completed)

    assert (first.applied, again.applied, again.duplicates) == (1, 0, 1)
    assert points_of(customer_id) == 10
    assert event_types(customer_id).count("LoyaltyPointsEarned") == 1


def test_the_same_order_published_twice_is_credited_once():
    """Another event id for the same order (a re-publication): the inbox cannot tell, the aggregate can."""
    customer_id = make_customer()
    order_id = uuid.uuid4()

    result = feed(order_completed(customer_id, "10.00", order_id=order_id),
                  order_completed(customer_id, "10.00", order_id=order_id))

    assert result.applied == 2 and result.dead == []
    assert points_of(customer_id) == 10
    assert event_types(customer_id) == ["CustomerRegistered", "LoyaltyPointsEarned"]


def test_several_orders_in_one_batch_all_count(manager):
    customer_id = make_customer()
    other_id = make_customer("Bob")

    feed(order_completed(customer_id, "5.50"), order_completed(other_id, "3.00"),
         order_completed(customer_id, "7.25"))

    assert (points_of(customer_id), points_of(other_id)) == (12, 3)
    listed = manager.get("/api/v1/customers/", {"ordering": "-points_balance"}).json()["results"]
    assert [(c["id"], c["points_balance"]) for c in listed] == [(str(customer_id), 12), (str(other_id), 3)]


def test_a_refund_reverses_the_points_of_the_refunded_amount_once():
    customer_id = make_customer()
    order_id = uuid.uuid4()
    feed(order_completed(customer_id, "50.00", order_id=order_id))
    refund = order_refunded(customer_id, order_id, "20.40")

    feed(refund)
    feed(refund)  # redelivered
    feed(order_refunded(customer_id, order_id, "20.40", refund_id=uuid.UUID(refund.data["refund_id"])))  # republished

    assert points_of(customer_id) == 30
    assert events_of(customer_id)[-1] == ("LoyaltyPointsReversed", {
        "customer_id": str(customer_id), "order_id": str(order_id), "refund_id": refund.data["refund_id"],
        "points": 20})
    assert event_types(customer_id).count("LoyaltyPointsReversed") == 1


def test_refunds_never_take_back_more_than_the_order_earned():
    customer_id = make_customer()
    small, big = uuid.uuid4(), uuid.uuid4()
    feed(order_completed(customer_id, "5.00", order_id=small), order_completed(customer_id, "100.00", order_id=big))

    feed(order_refunded(customer_id, small, "80.00"))

    assert points_of(customer_id) == 100


def test_orders_without_a_customer_are_ignored():
    customer_id = make_customer()
    before = customer_event_count()

    result = feed(order_completed(None, "25.00"), order_refunded(None, uuid.uuid4(), "5.00"))

    assert result.applied == 2 and result.dead == []
    assert customer_event_count() == before
    assert points_of(customer_id) == 0


@pytest.mark.parametrize("removed", [True, False], ids=["removed", "unknown"])
def test_a_removed_or_unknown_customer_is_skipped_with_a_log_line_not_a_dead_event(caplog, removed):
    customer_id = make_customer(removed=True) if removed else uuid.uuid4()
    before = customer_event_count()
    completed = order_completed(customer_id, "25.00")

    with caplog.at_level(logging.WARNING, logger="contexts.customers.policies"):
        result = feed(completed, order_refunded(customer_id, uuid.UUID(completed.data["order_id"]), "5.00"))

    assert result.applied == 2 and result.dead == [] and not result.fell_back
    assert customer_event_count() == before
    assert InboxEvent.objects.filter(consumer=CONSUMER, event_id=completed.event_id,
                                     status=InboxEvent.APPLIED).exists()
    skipped = [r.getMessage() for r in caplog.records if r.name == "contexts.customers.policies"]
    assert len(skipped) == 2 and completed.data["order_id"] in skipped[0]


def test_an_event_breaking_the_contract_is_dead_not_swallowed():
    customer_id = make_customer()
    broken = order_completed(customer_id, "not-a-number")
    fine = order_completed(customer_id, "3.00")

    result = feed(broken, fine)

    assert [envelope.event_id for envelope, _ in result.dead] == [broken.event_id]
    assert result.applied == 1
    assert points_of(customer_id) == 3
    assert InboxEvent.objects.get(consumer=CONSUMER, event_id=broken.event_id).status == InboxEvent.DEAD


def test_rebuilding_the_read_model_gives_the_same_rows_and_reruns_no_policy():
    ann, bob = make_customer("Ann", phone="+49 30 1234567"), make_customer("Bob", removed=True)
    order_id = uuid.uuid4()
    feed(order_completed(ann, "30.00", order_id=order_id), order_refunded(ann, order_id, "10.00"))
    columns = [f.name for f in CustomerView._meta.fields]
    before = list(CustomerView.objects.order_by("id").values_list(*columns))
    events_before = customer_event_count()

    (result,) = rebuild_projections(CONSUMER)

    assert result.events == events_before  # every customers event, replayed from the inbox
    assert list(CustomerView.objects.order_by("id").values_list(*columns)) == before
    assert customer_event_count() == events_before  # the loyalty policy did not run again
    assert points_of(ann) == 20 and CustomerView.objects.get(id=bob).status == "removed"
