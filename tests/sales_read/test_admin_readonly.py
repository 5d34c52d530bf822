"""The sales back office on PostgreSQL, as a manager: the pages over the read models load, the
read-only ones refuse add/change/delete, and every write is a sales command (its events land in
the event store; the read rows follow when they are projected, done here by hand)."""

import uuid
from dataclasses import dataclass

from decimal import Decimal as D

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from contexts.sales.commands import OpenTillSession, RegisterTill
from contexts.sales.domain import events as sales
from contexts.sales.models import OrderView, TillSessionView, TillView
from contexts.stores.domain.store import stream_id_of as store_stream_id
from infrastructure.commands.bus import execute
from infrastructure.eventstore.envelope import Envelope
from infrastructure.eventstore.models import StoredEvent

from tests.sales.support import META

from .builders import (
    SHIP_TO, Feed, SessionStory, apply, completed, customer_registered, order_lines, order_placed, payment,
    product_created, refunded, store_registered,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def manager(manager_user, client):
    """A logged-in manager (staff: the back office is the admin site)."""
    manager_user.is_staff = True
    manager_user.save(update_fields=["is_staff"])
    client.force_login(manager_user)
    client.username = manager_user.username
    return client


@dataclass
class Shop:
    story: SessionStory
    sale: sales.OrderPlaced  # a completed till sale with a cash refund of one coffee
    to_ship: sales.OrderPlaced  # a confirmed, paid delivery order
    to_cancel: sales.OrderPlaced  # a placed delivery order


@pytest.fixture
def shop() -> Shop:
    """Events appended to the event store (so the commands can load the aggregates and the pages
    show the history) and projected into the read models."""
    feed = Feed(store=True)
    coffee = product_created(sku="COF-1", name="Espresso beans 1kg", price="12.50", rate="20.00")
    notebook = product_created(sku="NB-A5", name="A5 notebook", price="4.00", rate="7.00", includes_tax=False)
    grace = customer_registered("Grace Hopper")
    story = SessionStory(feed)
    sale = order_placed(number="S1-000001", lines=order_lines((coffee, 2, "10"), (notebook, 3, "0")),
                        till_id=story.till_id, session_id=story.session_id, customer_id=grace.customer_id)
    to_ship = order_placed(number="W1-000001", kind="delivery", store_code="W1", lines=order_lines((coffee, 1, "0")),
                           ship_to=SHIP_TO, cashier="web")
    to_cancel = order_placed(number="W1-000002", kind="delivery", store_code="W1",
                             lines=order_lines((notebook, 2, "0")), ship_to=SHIP_TO, cashier="web")
    stores = [store_registered("S1", "Main Street"), store_registered("S2", "Side Street"),
              store_registered("W1", "Web Shop")]  # a till or delivery order names a registered store
    envelopes = [
        *(feed(store, store_stream_id(store.code)) for store in stores),
        feed(coffee, coffee.product_id), feed(notebook, notebook.product_id), feed(grace, grace.customer_id),
        story.registered, story.opened, story.cash_in, *story.trading,
        feed(sale, sale.order_id),
        feed(payment(sale, method="card", tendered="20.00", session_id=story.session_id), sale.order_id),
        feed(payment(sale, method="cash", tendered="20.00", paid_before="20.00", session_id=story.session_id),
             sale.order_id),
        feed(completed(sale, paid="35.34", change="4.66"), sale.order_id),
        feed(refunded(sale, (1, 1, "11.25", "1.88"), method="cash", reason="damaged bag",
                      session_id=story.session_id, till_id=story.till_id), sale.order_id),
        feed(to_ship, to_ship.order_id), feed(sales.OrderConfirmed(order_id=to_ship.order_id), to_ship.order_id),
        feed(payment(to_ship, method="card", tendered="12.50"), to_ship.order_id),
        feed(completed(to_ship, paid="12.50", change="0.00"), to_ship.order_id),
        feed(to_cancel, to_cancel.order_id),
    ]
    envelopes.append(story.close("124.00")[0])
    apply(*envelopes)
    return Shop(story, sale, to_ship, to_cancel)


def _project_new_events():
    """What a live `sales` consumer would do: apply the event store's sales events (the inbox
    skips the ones it has seen)."""
    return apply(*(Envelope.from_stored(row) for row in StoredEvent.objects.filter(context="sales")
                   .order_by("position")))


def _events(stream_id, event_type):
    return list(StoredEvent.objects.filter(context="sales", stream_id=str(stream_id), event_type=event_type)
                .order_by("version"))


def _url(model: str, view: str, *args):
    return reverse(f"admin:sales_{model}_{view}", args=args)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- pages load -------------------------------------------------------------------------------
def test_the_lists_and_the_detail_pages_load(manager, shop):
    till_id, session_id, sale_id = shop.story.till_id, shop.story.session_id, shop.sale.order_id

    tills = manager.get(_url("tillview", "changelist"))
    till = manager.get(_url("tillview", "change", till_id))
    assert tills.status_code == till.status_code == 200
    assert "Front till" in tills.text and "Main Street" in tills.text
    assert "event-history-row" in till.text and "TillRegistered" in till.text

    sessions = manager.get(_url("tillsessionview", "changelist"))
    session = manager.get(_url("tillsessionview", "change", session_id))
    assert sessions.status_code == session.status_code == 200
    assert "Front till" in sessions.text and "alice" in sessions.text
    assert 'class="z-report"' in session.text and "Cash difference" in session.text
    assert "<td>cash</td><td>124.09</td><td>124.00</td><td>-0.09</td>" in session.text
    assert "TillSessionClosed" in session.text

    orders = manager.get(_url("orderview", "changelist"))
    order = manager.get(_url("orderview", "change", sale_id))
    assert orders.status_code == order.status_code == 200
    assert all(number in orders.text for number in ("S1-000001", "W1-000001", "W1-000002"))
    assert "Grace Hopper" in order.text
    assert "<td>Espresso beans 1kg</td>" in order.text and "<td>A5 notebook</td>" in order.text
    assert "<td>card</td><td>20.00</td><td>20.00</td><td>0.00</td>" in order.text
    assert "<td>cash</td><td>20.00</td><td>15.34</td><td>4.66</td>" in order.text
    assert "damaged bag" in order.text and "1 x Espresso beans 1kg" in order.text
    assert "OrderPlaced" in order.text and "OrderRefunded" in order.text
    assert _url("orderview", "refund", sale_id) in order.text
    assert _url("orderview", "ship", sale_id) not in order.text  # a till sale is not shipped

    receipt = manager.get(_url("orderview", "receipt", sale_id))
    assert receipt.status_code == 200
    assert "S1-000001" in receipt.text and "TOTAL" in receipt.text and "REFUND (cash)" in receipt.text


def test_the_order_list_filters_and_searches(manager, shop):
    by_till = manager.get(_url("orderview", "changelist"), {"till": str(shop.story.till_id)})
    delivery = manager.get(_url("orderview", "changelist"), {"kind__exact": "delivery", "status__exact": "placed"})
    search = manager.get(_url("orderview", "changelist"), {"q": "Grace"})
    by_session = manager.get(_url("orderview", "changelist"), {"session_id": str(shop.story.session_id)})
    for response in (by_till, delivery, search, by_session):
        assert response.status_code == 200
        assert response.context["cl"].result_count == 1
    assert [o.number for o in by_till.context["cl"].result_list] == ["S1-000001"]
    assert [o.number for o in delivery.context["cl"].result_list] == ["W1-000002"]
    assert [o.number for o in search.context["cl"].result_list] == ["S1-000001"]
    sessions = manager.get(_url("tillsessionview", "changelist"), {"status__exact": "closed", "cashier": "alice"})
    assert sessions.status_code == 200 and sessions.context["cl"].result_count == 1


# --- read-only ----------------------------------------------------------------------------------
def test_sessions_and_orders_cannot_be_added_changed_or_deleted(manager, shop):
    session_id, order_id = shop.story.session_id, shop.sale.order_id
    for model, pk in (("tillsessionview", session_id), ("orderview", order_id)):
        assert manager.get(_url(model, "add")).status_code == 403
        assert manager.get(_url(model, "delete", pk)).status_code == 403
        assert manager.post(_url(model, "delete", pk), {"post": "yes"}).status_code == 403
        page = manager.get(_url(model, "change", pk))
        assert page.status_code == 200 and 'name="_save"' not in page.text
        assert manager.post(_url(model, "change", pk), {"status": "shipped"}).status_code == 403
        listing = manager.get(_url(model, "changelist"))
        assert _url(model, "add") not in listing.text and "delete_selected" not in listing.text
    assert TillSessionView.objects.filter(session_id=session_id).exists()
    assert OrderView.objects.get(order_id=order_id).status == "completed"


def test_a_till_is_read_only_once_registered(manager, shop):
    till_id = shop.story.till_id
    page = manager.get(_url("tillview", "change", till_id))
    assert page.status_code == 200 and 'name="_save"' not in page.text
    assert manager.post(_url("tillview", "change", till_id), {"name": "Renamed", "store_code": "S9",
                                                              "store_name": "Elsewhere"}).status_code == 403
    assert manager.get(_url("tillview", "delete", till_id)).status_code == 403
    assert TillView.objects.get(till_id=till_id).name == "Front till"
    assert len(StoredEvent.objects.filter(context="sales", event_type="TillRegistered")) == 1


# --- commands -----------------------------------------------------------------------------------
def test_registering_a_till_through_the_admin_appends_TillRegistered(manager, shop):
    add = manager.get(_url("tillview", "add"))
    assert add.status_code == 200 and 'name="store_code"' in add.text

    response = manager.post(_url("tillview", "add"), {"name": "Back till", "store_code": "s2"})

    assert response.status_code == 302 and response.url == _url("tillview", "changelist")
    (event,) = StoredEvent.objects.filter(context="sales", event_type="TillRegistered", data__name="Back till")
    assert (event.data["store_code"], event.data["store_name"], event.version) == ("S2", "Side Street", 1)
    assert event.metadata["user"] == manager.username
    _project_new_events()
    till = TillView.objects.get(till_id=event.stream_id)
    assert (till.name, till.store_code, till.open_session_id) == ("Back till", "S2", None)


def test_a_refused_till_registration_is_a_form_error(manager, shop):
    before = StoredEvent.objects.count()
    response = manager.post(_url("tillview", "add"), {"name": "Back till", "store_code": "S-2!"})
    assert response.status_code == 200
    assert "A store code is 1 to 8 letters or digits" in response.text
    assert StoredEvent.objects.count() == before


def test_a_till_in_a_store_that_is_not_registered_is_a_form_error(manager, shop):
    before = StoredEvent.objects.count()
    response = manager.post(_url("tillview", "add"), {"name": "Back till", "store_code": "ZZZZ9"})
    assert response.status_code == 200
    assert "There is no store ZZZZ9: register it under Stores first" in response.text
    assert 'name="store_code" value="ZZZZ9"' in response.text  # the input is kept
    assert StoredEvent.objects.count() == before


def test_ship_and_cancel_actions_run_the_commands_and_refusals_become_messages(manager, shop):
    changelist = _url("orderview", "changelist")
    shipped = manager.post(changelist, {"action": "ship_selected", "_selected_action": [str(shop.to_ship.order_id)]},
                           follow=True)
    assert shipped.status_code == 200
    assert len(_events(shop.to_ship.order_id, "OrderShipped")) == 1

    cancelled = manager.post(changelist, {"action": "cancel_selected", "_selected_action": [
        str(shop.to_cancel.order_id), str(shop.sale.order_id)]}, follow=True)
    assert cancelled.status_code == 200
    (event,) = _events(shop.to_cancel.order_id, "OrderCancelled")
    assert event.data["reasons"] == ["cancelled in the back office"]
    assert event.metadata["user"] == manager.username
    assert _events(shop.sale.order_id, "OrderCancelled") == []
    texts = _messages(cancelled)
    assert any(text.startswith("S1-000001: ") for text in texts)
    assert any(text.startswith("Cancelled 1 order(s)") for text in texts)

    # A second "ship" is refused by the order itself: a message, not a 500.
    again = manager.post(changelist, {"action": "ship_selected", "_selected_action": [str(shop.to_ship.order_id)]},
                         follow=True)
    assert again.status_code == 200 and any(t.startswith("W1-000001: ") for t in _messages(again))
    assert len(_events(shop.to_ship.order_id, "OrderShipped")) == 1

    _project_new_events()
    assert OrderView.objects.get(order_id=shop.to_ship.order_id).status == "shipped"
    assert OrderView.objects.get(order_id=shop.to_cancel.order_id).cancelled_reasons == [
        "cancelled in the back office"]


def test_the_ship_and_cancel_pages_confirm_then_run_the_command(manager, shop):
    ship_url = _url("orderview", "ship", shop.to_ship.order_id)
    page = manager.get(_url("orderview", "change", shop.to_ship.order_id))
    assert ship_url in page.text
    assert manager.get(ship_url).status_code == 200
    unticked = manager.post(ship_url, {})
    assert unticked.status_code == 200 and _events(shop.to_ship.order_id, "OrderShipped") == []
    assert manager.post(ship_url, {"confirm": "on"}).status_code == 302
    assert len(_events(shop.to_ship.order_id, "OrderShipped")) == 1

    # Cancelling a till sale is refused by the order: the page shows why.
    refused = manager.post(_url("orderview", "cancel", shop.sale.order_id), {"confirm": "on"})
    assert refused.status_code == 200 and "errornote" in refused.text
    assert "only an unshipped, unpaid delivery order can be cancelled" in refused.text
    assert _events(shop.sale.order_id, "OrderCancelled") == []


def test_the_refund_page_runs_RefundOrder_and_shows_refusals_as_form_errors(manager, shop):
    url = _url("orderview", "refund", shop.sale.order_id)
    page = manager.get(url)
    assert page.status_code == 200
    assert "1. Espresso beans 1kg — 2 sold, 1 refunded" in page.text
    assert "2. A5 notebook — 3 sold, 0 refunded" in page.text

    no_till = manager.post(url, {"line_no": "2", "quantity": "1", "method": "card", "reason": "wrong size"})
    assert no_till.status_code == 200 and "Every refund goes through a till&#x27;s open session" in no_till.text
    assert len(_events(shop.sale.order_id, "OrderRefunded")) == 1  # only the one from the shop fixture

    # Every refund, card too, goes through a till's open session: open one in the back office's till.
    till = uuid.uuid4()
    execute(RegisterTill(till_id=till, name="Back office", store_code="S1"), META)
    execute(OpenTillSession(session_id=uuid.uuid4(), till_id=till, cashier="manager", opening_float=D("0")), META)
    _project_new_events()
    too_many = manager.post(url, {"line_no": "2", "quantity": "4", "method": "card", "reason": "wrong size",
                                  "till_id": str(till)})
    assert too_many.status_code == 200 and "at most 3 more can be refunded" in too_many.text
    done = manager.post(url, {"line_no": "2", "quantity": "1", "method": "card", "reason": "wrong size",
                              "till_id": str(till)})
    assert done.status_code == 302
    refunds = _events(shop.sale.order_id, "OrderRefunded")
    assert len(refunds) == 2
    data = refunds[-1].data
    assert (data["method"], data["cashier"], data["reason"], data["total"]) == (
        "card", manager.username, "wrong size", "4.28")
    assert [(line["line_no"], line["quantity"]) for line in data["lines"]] == [(2, 1)]

    _project_new_events()
    order = OrderView.objects.get(order_id=shop.sale.order_id)
    assert (order.refund_status, str(order.refunded_total)) == ("partial", "15.53")


def test_command_pages_of_an_unknown_order_redirect_instead_of_failing(manager, shop):
    for view in ("ship", "cancel", "refund", "receipt"):
        response = manager.get(_url("orderview", view, uuid.uuid4()))
        assert response.status_code == 302
    assert manager.get(_url("orderview", "refund", "not-a-uuid")).status_code == 302
