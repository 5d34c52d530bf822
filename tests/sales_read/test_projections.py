"""The sales read side on PostgreSQL: events of the sales, catalog and customers contexts go
through the `sales` consumer's inbox (`apply_batch`) into the read models; a redelivery has one
effect; `rebuild_projections --context sales` rebuilds the same tables."""

import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from contexts.catalog.domain import events as catalog
from contexts.customers.domain import events as customers
from contexts.sales.domain import events as sales
from contexts.sales.models import (
    CustomerDirectoryEntry, OrderLineView, OrderView, PaymentView, PriceListCategory, PriceListEntry, RefundView,
    TillSessionView, TillView,
)
from infrastructure.consumers import registry

from .builders import (
    SHIP_TO, T0, Feed, SessionStory, apply, completed, customer_registered, customer_updated, order_lines,
    order_placed, payment, product_created, refunded,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
D = Decimal

COFFEE = dict(sku="COF-1", name="Espresso beans 1kg", price="12.50", rate="20.00")
NOTEBOOK = dict(sku="NB-A5", name="A5 notebook", price="4.00", rate="7.00", includes_tax=False)


def test_the_database_is_postgresql_and_the_projections_are_registered():
    assert connection.vendor == "postgresql"
    names = {s.name for s in registry.subscribers_of("sales") if s.replayable}
    assert {"price_list", "customer_names", "tills", "orders"} <= names


# --- price list -------------------------------------------------------------------------------
def test_the_price_list_follows_the_catalog():
    feed = Feed()
    created = product_created(**COFFEE, barcode="4006381333931")
    pid = created.product_id
    apply(feed(created, pid))
    row = PriceListEntry.objects.get(product_id=pid)
    assert (row.sku, row.barcode, row.name, row.unit_price, row.tax_rate, row.price_includes_tax, row.active,
            row.version) == ("COF-1", "4006381333931", "Espresso beans 1kg", D("12.50"), D("20.00"), True, True, 1)

    details = feed(catalog.ProductDetailsUpdated(product_id=pid, sku="COF-1B", barcode=None, name="Espresso beans",
                                                 category_id=None, tax_rate=D("10.00"), price_includes_tax=False,
                                                 low_stock_threshold=1), pid)
    price_change = feed(catalog.ProductPriceChanged(product_id=pid, old_price=D("12.50"), new_price=D("13.00")), pid)
    apply(
        details,
        price_change,
        feed(catalog.ProductDiscontinued(product_id=pid, reason="supplier stopped"), pid),
    )
    row.refresh_from_db()
    assert (row.sku, row.barcode, row.name, row.unit_price, row.tax_rate, row.price_includes_tax, row.active,
            row.version) == ("COF-1B", None, "Espresso beans", D("13.00"), D("10.00"), False, False, 4)

    apply(feed(catalog.ProductReactivated(product_id=pid), pid),
          feed(catalog.ProductPriceChanged(product_id=pid, old_price=D("13.00"), new_price=D("14.00")), pid))
    # An old price change published again under a new id (stream version 3) changes nothing.
    stale = feed.again(price_change, new_id=True)
    result = apply(stale)
    row.refresh_from_db()
    assert [e.event_id for e in result.applied] == [stale.event_id]
    assert (row.unit_price, row.active, row.version) == (D("14.00"), True, 6)


def test_the_price_list_knows_its_categories_and_when_each_row_changed():
    feed = Feed()
    drinks = uuid.uuid4()
    created = product_created(**COFFEE)
    pid = created.product_id
    apply(feed(catalog.CategoryCreated(category_id=drinks, name="Drinks"), drinks), feed(created, pid))
    first = PriceListEntry.objects.get(product_id=pid).changed_at
    apply(feed(catalog.ProductDetailsUpdated(product_id=pid, sku="COF-1", barcode=None, name="Espresso beans 1kg",
                                             category_id=drinks, tax_rate=D("20.00"), price_includes_tax=True,
                                             low_stock_threshold=0), pid),
          feed(catalog.CategoryRenamed(category_id=drinks, name="Hot drinks"), drinks))
    row = PriceListEntry.objects.get(product_id=pid)
    assert row.category_id == drinks and row.changed_at > first  # what a till's `?since=` finds
    category = PriceListCategory.objects.get(category_id=drinks)
    assert (category.name, category.active, category.version) == ("Hot drinks", True, 2)
    apply(feed(catalog.CategoryDeleted(category_id=drinks), drinks))
    category.refresh_from_db()
    assert (category.active, category.version) == (False, 3)


def test_an_update_for_a_product_sales_never_saw_created_fails_loudly():
    feed = Feed()
    pid = uuid.uuid4()
    with pytest.raises(LookupError, match="no row"):
        apply(feed(catalog.ProductPriceChanged(product_id=pid, old_price=D("1.00"), new_price=D("2.00")), pid))
    assert not PriceListEntry.objects.filter(product_id=pid).exists()


# --- customer directory -----------------------------------------------------------------------
def test_the_customer_directory_keeps_names_and_existence():
    feed = Feed()
    grace = customer_registered("Grace Hopper")
    cid = grace.customer_id
    apply(feed(grace, cid), feed(customer_updated(cid, "Grace B. Hopper"), cid))
    row = CustomerDirectoryEntry.objects.get(customer_id=cid)
    assert (row.name, row.active, row.version) == ("Grace B. Hopper", True, 2)

    apply(feed(customers.CustomerRemoved(customer_id=cid, reason="asked to be forgotten"), cid))
    row.refresh_from_db()
    assert (row.name, row.active, row.version) == ("Grace B. Hopper", False, 3)

    # An update for a customer whose registration sales never saw carries the full details.
    other = uuid.uuid4()
    feed.versions[str(other)] = 4
    apply(feed(customer_updated(other, "Alan Turing"), other))
    assert CustomerDirectoryEntry.objects.filter(customer_id=other).values_list("name", "active", "version").get() == \
        ("Alan Turing", True, 5)


# --- orders -----------------------------------------------------------------------------------
def _products(feed):
    coffee, notebook = product_created(**COFFEE), product_created(**NOTEBOOK)
    return coffee, notebook, [feed(coffee, coffee.product_id), feed(notebook, notebook.product_id)]


def test_a_till_sale_becomes_an_order_with_lines_and_payments():
    feed = Feed()
    coffee, notebook, catalog_events = _products(feed)
    grace = customer_registered("Grace Hopper")
    till_id, session_id = uuid.uuid4(), uuid.uuid4()
    placed = order_placed(number="S1-000001", lines=order_lines((coffee, 2, "10"), (notebook, 3, "0")),
                          till_id=till_id, session_id=session_id, customer_id=grace.customer_id, cashier="alice")
    card = payment(placed, method="card", tendered="20.00", session_id=session_id)
    cash = payment(placed, method="cash", tendered="20.00", paid_before="20.00", session_id=session_id)
    oid = placed.order_id

    apply(*catalog_events, feed(grace, grace.customer_id), feed(placed, oid))
    order = OrderView.objects.get(order_id=oid)
    assert (order.number, order.kind, order.status, order.refund_status, order.store_code, order.till_id,
            order.session_id, order.cashier, order.customer_id, order.customer_name) == (
        "S1-000001", "till", "placed", "none", "S1", till_id, session_id, "alice", grace.customer_id, "Grace Hopper")
    assert (order.gross, order.discount_total, order.subtotal, order.tax_total, order.total, order.paid) == (
        D("37.84"), D("2.50"), D("30.75"), D("4.59"), D("35.34"), D("0.00"))
    assert order.taxes == [{"rate": "7.00", "taxable": "12.00", "tax": "0.84"},
                           {"rate": "20.00", "taxable": "18.75", "tax": "3.75"}]
    assert (order.placed_at, order.version) == (T0, 1)
    lines = list(OrderLineView.objects.filter(order_id=oid).order_by("line_no").values_list(
        "line_no", "product_id", "sku", "name", "quantity", "refunded_quantity", "unit_price", "tax_rate",
        "discount_percent", "gross", "discount", "total", "tax"))
    assert lines == [
        (1, coffee.product_id, "COF-1", "Espresso beans 1kg", 2, 0, D("12.50"), D("20.00"), D("10.00"), D("25.00"),
         D("2.50"), D("22.50"), D("3.75")),
        (2, notebook.product_id, "NB-A5", "A5 notebook", 3, 0, D("4.00"), D("7.00"), D("0.00"), D("12.84"),
         D("0.00"), D("12.84"), D("0.84")),
    ]

    apply(feed(card, oid), feed(cash, oid), feed(completed(placed, paid="35.34", change="4.66"), oid))
    order.refresh_from_db()
    assert (order.status, order.paid, order.change, order.completed_at, order.version) == (
        "completed", D("35.34"), D("4.66"), T0.replace(minute=5), 4)
    payments = list(PaymentView.objects.filter(order_id=oid).order_by("recorded_at").values_list(
        "payment_id", "method", "amount", "tendered", "change", "session_id"))
    assert payments == [(card.payment_id, "card", D("20.00"), D("20.00"), D("0.00"), session_id),
                        (cash.payment_id, "cash", D("15.34"), D("20.00"), D("4.66"), session_id)]

    # The customer's new name reaches the order.
    apply(feed(customer_updated(grace.customer_id, "Grace B. Hopper"), grace.customer_id))
    order.refresh_from_db()
    assert order.customer_name == "Grace B. Hopper"
    assert order.version == 4  # a name is not an order event


def test_an_order_placed_before_its_customer_arrived_gets_the_name_when_it_does():
    feed = Feed()
    coffee, _, catalog_events = _products(feed)
    ada = customer_registered("Ada Lovelace")
    placed = order_placed(number="S1-000002", lines=order_lines((coffee, 1, "0")), customer_id=ada.customer_id)

    apply(*catalog_events, feed(placed, placed.order_id))
    assert OrderView.objects.get(order_id=placed.order_id).customer_name == ""
    apply(feed(ada, ada.customer_id))
    assert OrderView.objects.get(order_id=placed.order_id).customer_name == "Ada Lovelace"


def test_refunds_mark_lines_and_the_order_partly_then_fully_refunded():
    feed = Feed()
    coffee, notebook, catalog_events = _products(feed)
    placed = order_placed(number="S1-000003", lines=order_lines((coffee, 2, "10"), (notebook, 3, "0")))
    oid = placed.order_id
    first = refunded(placed, (1, 1, "11.25", "1.88"), method="cash", reason="damaged bag", cashier="bob")
    second = refunded(placed, (1, 1, "11.25", "1.87"), (2, 3, "12.84", "0.84"), method="card", reason="changed mind")
    apply(*catalog_events, feed(placed, oid), feed(payment(placed, method="cash", tendered="40.00"), oid),
          feed(completed(placed, paid="35.34", change="4.66"), oid), feed(first, oid))

    order = OrderView.objects.get(order_id=oid)
    assert (order.refund_status, order.refunded_total, order.status, order.version) == (
        "partial", D("11.25"), "completed", 4)
    assert list(OrderLineView.objects.filter(order_id=oid).order_by("line_no").values_list(
        "refunded_quantity", "refunded_amount")) == [(1, D("11.25")), (0, D("0.00"))]
    refund = RefundView.objects.get(refund_id=first.refund_id)
    assert (refund.order_id, refund.method, refund.total, refund.tax, refund.cashier, refund.reason) == (
        oid, "cash", D("11.25"), D("1.88"), "bob", "damaged bag")
    assert refund.lines == [{"line_no": 1, "product_id": str(coffee.product_id), "quantity": 1, "amount": "11.25",
                             "tax": "1.88", "sku": "COF-1", "name": "Espresso beans 1kg"}]

    apply(feed(second, oid))
    order.refresh_from_db()
    assert (order.refund_status, order.refunded_total) == ("full", D("35.34"))
    assert list(OrderLineView.objects.filter(order_id=oid).order_by("line_no").values_list(
        "refunded_quantity", "refunded_amount")) == [(2, D("22.50")), (3, D("12.84"))]
    assert RefundView.objects.filter(order_id=oid).count() == 2


def test_a_delivery_order_goes_placed_confirmed_completed_shipped():
    feed = Feed()
    coffee, _, catalog_events = _products(feed)
    placed = order_placed(number="W1-000001", kind="delivery", store_code="W1", lines=order_lines((coffee, 1, "0")),
                          ship_to=SHIP_TO, cashier="web")
    oid = placed.order_id
    apply(*catalog_events, feed(placed, oid))
    order = OrderView.objects.get(order_id=oid)
    assert (order.kind, order.status, order.till_id, order.session_id) == ("delivery", "placed", None, None)
    assert order.ship_to == {"name": "Ada Lovelace", "address": "12 St James's Square", "city": "London",
                             "postal_code": "SW1Y 4JH", "country": "GB"}

    confirmed = feed(sales.OrderConfirmed(order_id=oid), oid)
    apply(confirmed)
    order.refresh_from_db()
    assert (order.status, order.confirmed_at) == ("confirmed", confirmed.recorded_at)

    shipped_at = T0.replace(hour=17)
    apply(feed(payment(placed, method="card", tendered="12.50"), oid),
          feed(completed(placed, paid="12.50", change="0.00"), oid),
          feed(sales.OrderShipped(order_id=oid, shipped_at=shipped_at), oid))
    order.refresh_from_db()
    assert (order.status, order.paid, order.shipped_at, order.version) == ("shipped", D("12.50"), shipped_at, 5)


def test_a_cancelled_delivery_order_keeps_its_reasons():
    feed = Feed()
    coffee, _, catalog_events = _products(feed)
    placed = order_placed(number="W1-000002", kind="delivery", store_code="W1", lines=order_lines((coffee, 3, "0")),
                          ship_to=SHIP_TO)
    reasons = (f"product {coffee.product_id}: insufficient stock (1 available, 3 wanted)",)
    placed_envelope = feed(placed, placed.order_id)
    cancelled = feed(sales.OrderCancelled(order_id=placed.order_id, reasons=reasons, was_confirmed=False),
                     placed.order_id)
    apply(*catalog_events, placed_envelope, cancelled)
    order = OrderView.objects.get(order_id=placed.order_id)
    assert (order.status, order.cancelled_reasons, order.cancelled_at) == (
        "cancelled", list(reasons), cancelled.recorded_at)


# --- tills and sessions -----------------------------------------------------------------------
def test_a_session_row_is_opened_and_once_closed_holds_the_published_z_report():
    story = SessionStory(Feed())
    apply(story.registered, story.opened, story.cash_in)
    till = TillView.objects.get(till_id=story.till_id)
    assert (till.name, till.store_code, till.store_name, till.open_session_id, till.version) == (
        "Front till", "S1", "Main Street", story.session_id, 1)
    session = TillSessionView.objects.get(session_id=story.session_id)
    assert (session.till_id, session.till_name, session.store_code, session.cashier, session.status,
            session.opening_float, session.opened_at, session.z_report) == (
        story.till_id, "Front till", "S1", "alice", "open", D("100.00"), T0, None)

    # An open session's running figures are its drawer's, on the command side (the API shows them,
    # tests/sales/test_api_flow.py); nothing adds them up here, not even from older streams' events.
    apply(*story.trading)
    session.refresh_from_db()
    assert (session.sales_count, session.gross, session.cash_in, session.expected_cash, session.status,
            session.version) == (0, D("0.00"), D("0.00"), D("100.00"), "open", 1)

    closed, z = story.close("124.00")
    apply(closed)
    session.refresh_from_db()
    assert (session.status, session.closed_at, session.counted_cash, session.cash_difference, session.version) == (
        "closed", T0.replace(hour=18), D("124.00"), D("-0.09"), 8)
    # The row holds the Z-report the domain computed, as published.
    running = (session.sales_count, session.gross, session.discounts, session.tax, session.refund_count,
               session.refunds, session.net, session.cash_in, session.cash_out, session.expected_cash,
               session.expected_card)
    assert running == (1, D("37.84"), D("2.50"), D("4.59"), 1, D("11.25"), D("24.09"), D("50.00"), D("30.00"),
                       D("124.09"), D("20.00"))
    assert (z.sales_count, z.gross, z.discounts, z.tax, z.refund_count, z.refunds, z.net, z.cash_in, z.cash_out,
            z.methods[0].expected, z.methods[1].expected) == running
    assert session.z_report["net"] == "24.09" and session.z_report["cash_difference"] == "-0.09"
    assert session.z_report["methods"] == [
        {"method": "cash", "expected": "124.09", "counted": "124.00", "difference": "-0.09", "taken": "15.34",
         "given_back": "11.25"},
        {"method": "card", "expected": "20.00", "counted": "20.00", "difference": "0.00", "taken": "20.00",
         "given_back": "0.00"}]
    till.refresh_from_db()
    assert till.open_session_id is None


def test_a_session_opened_before_its_till_registration_arrived_is_linked_when_it_does():
    story = SessionStory(Feed())
    apply(story.opened)
    assert TillSessionView.objects.get(session_id=story.session_id).till_name == ""
    apply(story.registered)
    assert TillSessionView.objects.get(session_id=story.session_id).till_name == "Front till"
    assert TillView.objects.get(till_id=story.till_id).open_session_id == story.session_id


# --- exactly one effect, and the rebuild --------------------------------------------------------
def _tables() -> dict:
    """Every row's data. Not `changed_at`: when the projection wrote a price list row (a rebuild
    writes every row again, and tills asking for changes since a version then get them all)."""
    ordering = {PriceListEntry: ["product_id"], PriceListCategory: ["category_id"],
                CustomerDirectoryEntry: ["customer_id"], TillView: ["till_id"], TillSessionView: ["session_id"],
                OrderView: ["order_id"], OrderLineView: ["order_id", "line_no"], PaymentView: ["payment_id"],
                RefundView: ["refund_id"]}
    return {model.__name__: [{k: v for k, v in row.items() if k not in ("id", "changed_at")}
                             for row in model.objects.order_by(*fields).values()]
            for model, fields in ordering.items()}


def _everything(feed: Feed) -> list:
    """One of each kind of event, in an order a live consumer could see them."""
    coffee, notebook, envelopes = _products(feed)
    grace = customer_registered("Grace Hopper")
    story = SessionStory(feed)
    placed = order_placed(number="S1-000010", lines=order_lines((coffee, 2, "10"), (notebook, 3, "0")),
                          till_id=story.till_id, session_id=story.session_id, customer_id=grace.customer_id)
    delivery = order_placed(number="W1-000010", kind="delivery", store_code="W1",
                            lines=order_lines((notebook, 1, "5")), ship_to=SHIP_TO)
    oid, did = placed.order_id, delivery.order_id
    envelopes += [feed(placed, oid), story.registered, story.opened, story.cash_in, *story.trading,
                  feed(payment(placed, method="card", tendered="20.00"), oid),
                  feed(payment(placed, method="cash", tendered="20.00", paid_before="20.00"), oid),
                  feed(completed(placed, paid="35.34", change="4.66"), oid),
                  feed(refunded(placed, (1, 1, "11.25", "1.88"), method="cash"), oid),
                  feed(grace, grace.customer_id), feed(customer_updated(grace.customer_id, "Grace B. Hopper"),
                                                       grace.customer_id),
                  feed(delivery, did), feed(sales.OrderConfirmed(order_id=did), did),
                  feed(catalog.ProductPriceChanged(product_id=coffee.product_id, old_price=D("12.50"),
                                                   new_price=D("12.90")), coffee.product_id)]
    envelopes.append(story.close("124.09")[0])
    return envelopes


def test_a_redelivered_batch_has_one_effect():
    feed = Feed()
    envelopes = _everything(feed)
    first = apply(*envelopes)
    live = _tables()

    again = apply(*envelopes)
    # The same facts published again under new ids: the row versions stop them too.
    republished = apply(*(feed.again(e, new_id=True) for e in envelopes))

    assert (len(first.applied), first.duplicates) == (len(envelopes), 0)
    assert (again.applied, again.duplicates) == ([], len(envelopes))
    assert len(republished.applied) == len(envelopes)
    assert _tables() == live
    session = TillSessionView.objects.get()
    assert (session.cash_in, session.sales_count, session.expected_cash) == (D("50.00"), 1, D("124.09"))
    assert PaymentView.objects.count() == 2 and RefundView.objects.count() == 1
    assert OrderLineView.objects.count() == 3


def test_rebuild_projections_reproduces_the_live_tables():
    envelopes = _everything(Feed())
    apply(*envelopes[: len(envelopes) // 2])
    apply(*envelopes[len(envelopes) // 2:])
    live = _tables()
    assert len(live["OrderView"]) == 2 and live["TillSessionView"][0]["status"] == "closed"
    # Damage the read models: a rebuild must not depend on what is in them.
    OrderView.objects.all().delete()
    TillSessionView.objects.update(net=D("999.99"))
    PriceListEntry.objects.all().delete()
    assert _tables() != live

    call_command("rebuild_projections", "--context", "sales", "--no-progress")

    assert _tables() == live
