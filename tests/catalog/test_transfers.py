"""Transfers between stores: sent (the units leave the sender at once), in transit, received (what
was counted in joins the receiver at the sender's cost; the difference is recorded and shown);
all lines or none; the sender's managers send, the receiver's receive."""

import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command

from contexts.catalog import commands as c
from contexts.catalog.domain.stock import StoreStock, stock_stream_id
from contexts.catalog.domain.transfer import StockTransfer, transfer_stream_id
from contexts.catalog.domain.events import ReceivedLine, TransferLine
from contexts.catalog.models import StoreStockView, TransferView
from contexts.reporting.models import StockEntry
from infrastructure.access.models import StoreAssignment
from infrastructure.commands.bus import execute
from kernel.errors import Conflict, DomainError
from tests.conftest import _make_user

from .support import API, assert_problem, catalog_tables, event_count, events_of, make_product, meta, product_row


# --- the domain -------------------------------------------------------------------------------
@pytest.mark.unit
def test_a_transfer_is_sent_once_and_received_once_with_its_differences():
    product_a, product_b = uuid.uuid4(), uuid.uuid4()
    transfer = StockTransfer(transfer_stream_id(uuid.uuid4()))
    with pytest.raises(DomainError):
        transfer.send("BER", "BER", [TransferLine(product_a, 1)])
    transfer.send("BER", "NYC", [TransferLine(product_a, 5), TransferLine(product_b, 2)], " DN-1 ")
    assert (transfer.status, transfer.pending_events[0].reference) == ("in_transit", "DN-1")
    with pytest.raises(Conflict):
        transfer.send("BER", "NYC", [TransferLine(product_a, 1)])
    received = transfer.receive({product_a: 4})  # b left out: as many as were sent
    assert received == (ReceivedLine(product_a, 5, 4, 1), ReceivedLine(product_b, 2, 2, 0))
    with pytest.raises(Conflict) as again:
        transfer.receive({})
    assert again.value.code == "TransferNotInTransit"


@pytest.mark.unit
def test_a_store_sends_only_what_it_has_available_and_the_receiver_averages_in_the_senders_cost():
    product_id = uuid.uuid4()
    sender = StoreStock(stock_stream_id(product_id, "BER"))
    sender.receive(6, unit_cost="2.00")
    sender.reserve(uuid.uuid4(), 2, product_active=True)
    with pytest.raises(Conflict) as short:
        sender.transfer_out(uuid.uuid4(), "NYC", 5)
    assert short.value.code == "InsufficientStock" and sender.on_hand == 6
    transfer_id = uuid.uuid4()
    sender.transfer_out(transfer_id, "NYC", 4)
    assert (sender.on_hand, sender.available, sender.pending_events[-1].unit_cost) == (2, 0, Decimal("2.00"))
    receiver = StoreStock(stock_stream_id(product_id, "NYC"))
    receiver.receive(4, unit_cost="3.00")
    receiver.transfer_in(transfer_id, "BER", 4, Decimal("2.00"))  # (4 x 3.00 + 4 x 2.00) / 8
    assert (receiver.on_hand, receiver.average_cost) == (8, Decimal("2.50"))


# --- through the API --------------------------------------------------------------------------
def in_store(product_id, store) -> tuple[int, int]:
    row = StoreStockView.objects.filter(product_id=product_id, store_code=store).first()
    return (row.on_hand, row.available) if row else (0, 0)


@pytest.mark.integration
@pytest.mark.usefixtures("embedded_delivery")
def test_sent_in_transit_received_with_the_difference_shown(manager, stores):
    coffee, tea = make_product(sku="TR-COF"), make_product(sku="TR-TEA")
    execute(c.ReceiveGoods(store_code="BER", lines=(c.GoodsInLine(coffee, 10, Decimal("2.00")),
                                                     c.GoodsInLine(tea, 3, Decimal("1.00")))), meta())
    sent = manager.post(f"{API}/transfers/", {"from_store": "BER", "to_store": "nyc", "reference": "T-1", "lines": [
        {"product_id": str(coffee), "quantity": 6}, {"product_id": str(tea), "quantity": 3}]}, format="json")
    assert sent.status_code == 201, sent.content
    transfer_id = sent.json()["id"]
    assert (sent.json()["status"], sent.json()["to_store"]) == ("in_transit", "NYC")
    # In transit: gone from Berlin, not yet in New York; the chain has 4 + 0 of them on hand.
    assert in_store(coffee, "BER") == (4, 4) and in_store(coffee, "NYC") == (0, 0)
    assert product_row(coffee).on_hand == 4
    listed = manager.get(f"{API}/transfers/", {"status": "in_transit"}).json()["results"]
    assert [(t["id"], t["units_sent"], t["units_received"]) for t in listed] == [(transfer_id, 9, None)]

    received = manager.post(f"{API}/transfers/{transfer_id}/receive/", {"lines": [
        {"product_id": str(coffee), "quantity": 5}]}, format="json")  # one coffee short; tea as sent
    assert received.status_code == 200, received.content
    assert in_store(coffee, "NYC") == (5, 5) and in_store(tea, "NYC") == (3, 3) and in_store(tea, "BER") == (0, 0)
    assert StoreStockView.objects.get(product_id=coffee, store_code="NYC").average_cost == Decimal("2.00")
    body = manager.get(f"{API}/transfers/{transfer_id}/").json()
    assert (body["status"], body["units_sent"], body["units_received"], body["difference"]) == ("received", 9, 8, 1)
    assert [(line["sku"], line["sent"], line["received"], line["difference"]) for line in body["lines"]] == [
        ("TR-COF", 6, 5, 1), ("TR-TEA", 3, 3, 0)]
    ((_, sent_event), (_, received_event)) = events_of(transfer_stream_id(transfer_id))
    assert received_event["lines"][0] == {"product_id": str(coffee), "sent": 6, "received": 5, "difference": 1}
    assert {(e.store_code, e.on_hand) for e in StockEntry.objects.filter(product_id=coffee)} == {("BER", 4), ("NYC", 5)}
    assert_problem(manager.post(f"{API}/transfers/{transfer_id}/receive/", {}, format="json"), 409)

    before = catalog_tables()
    call_command("rebuild_projections", "--context", "catalog", "--no-progress")
    assert catalog_tables() == before
    assert TransferView.objects.get(id=transfer_id).difference == 1


@pytest.mark.integration
@pytest.mark.usefixtures("embedded_delivery")
@pytest.mark.parametrize("payload, status, field", [
    ({"from_store": "BER", "to_store": "NYC", "lines": [{"quantity": 11}]}, 409, "lines.0.quantity"),
    ({"from_store": "BER", "to_store": "NYC", "lines": [{"quantity": 0}]}, 422, "lines.0.quantity"),
    ({"from_store": "BER", "to_store": "BER", "lines": [{"quantity": 1}]}, 422, "to_store"),
    ({"from_store": "BER", "to_store": "ZZZZ9", "lines": [{"quantity": 1}]}, 422, "to_store"),
    ({"from_store": "BER", "to_store": "NYC", "lines": []}, 400, "lines"),
])
def test_a_bad_transfer_is_a_clear_problem_and_moves_nothing(manager, stores, payload, status, field):
    product_id = make_product()
    execute(c.ReceiveStock(product_id=product_id, quantity=10, store_code="BER"), meta())
    events = event_count()
    lines = [{"product_id": str(product_id), **line} for line in payload["lines"]]
    assert_problem(manager.post(f"{API}/transfers/", {**payload, "lines": lines}, format="json"), status, field)
    assert event_count() == events and in_store(product_id, "BER") == (10, 10)


@pytest.mark.integration
@pytest.mark.usefixtures("embedded_delivery")
def test_the_senders_managers_send_and_the_receivers_receive(make_client, django_user_model, stores):
    def store_manager(name, code):
        user = _make_user(django_user_model, name, group="manager")
        StoreAssignment.objects.create(user=user, store_code=code)
        return make_client(user)

    berlin, new_york = store_manager("ber-tr", "BER"), store_manager("nyc-tr", "NYC")
    product_id = make_product()
    execute(c.ReceiveStock(product_id=product_id, quantity=10, store_code="BER"), meta())
    payload = {"from_store": "BER", "to_store": "NYC", "lines": [{"product_id": str(product_id), "quantity": 2}]}
    refused = new_york.post(f"{API}/transfers/", payload, format="json")
    assert refused.status_code == 403 and refused.json()["type"].endswith("/store-out-of-scope/")
    sent = berlin.post(f"{API}/transfers/", payload, format="json")
    assert sent.status_code == 201, sent.content
    transfer_id = sent.json()["id"]
    refused = berlin.post(f"{API}/transfers/{transfer_id}/receive/", {}, format="json")
    assert refused.status_code == 403 and TransferView.objects.get(id=transfer_id).status == "in_transit"
    assert new_york.post(f"{API}/transfers/{transfer_id}/receive/", {}, format="json").status_code == 200
    assert in_store(product_id, "NYC") == (2, 2) and in_store(product_id, "BER") == (8, 8)
