"""The catalog projection fed directly through the inbox (`apply_batch`), in orders Kafka may
deliver: one stream's events stay in order, but a category's, a product's and a product's stock
streams travel on different partitions, so a product can arrive before its category, and its
stock in a store before the product."""

import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command

from contexts.catalog import commands as c
from contexts.catalog.domain.stock import stock_stream_id
from contexts.catalog.models import CategoryView, ProductView, StockMovementView, StoreStockView
from infrastructure.commands.bus import execute
from infrastructure.consumers.inbox import apply_batch
from infrastructure.eventstore.envelope import Envelope
from infrastructure.eventstore.models import StoredEvent

from .support import catalog_tables, make_category, make_product, meta

# Not transactional: the test's transaction never commits, so nothing is relayed by itself; the
# test hands the stored events to the consumer in the order it chooses.
pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def envelopes(stream_id) -> list[Envelope]:
    return [Envelope.from_stored(row) for row in StoredEvent.objects.filter(stream_id=str(stream_id))
            .order_by("version")]


def test_a_product_projected_before_its_category_gets_the_name_and_is_counted():
    category_id = make_category("Bakery")
    bread = make_product(category_id=category_id, stock=5)
    gone = make_product(category_id=category_id, discontinued=True)

    apply_batch("catalog", envelopes(bread) + envelopes(gone))
    assert ProductView.objects.get(id=bread).category_name == ""  # no category known yet
    apply_batch("catalog", envelopes(category_id))

    assert ProductView.objects.get(id=bread).category_name == "Bakery"
    assert ProductView.objects.get(id=gone).category_name == "Bakery"
    category = CategoryView.objects.get(id=category_id)
    assert (category.name, category.active_product_count) == ("Bakery", 1)

    # Later product events count on top of it.
    execute(c.ReactivateProduct(product_id=gone), meta())
    apply_batch("catalog", envelopes(gone)[-1:])
    assert CategoryView.objects.get(id=category_id).active_product_count == 2


def test_a_product_moved_into_a_category_not_projected_yet():
    drinks, juices = make_category("Drinks"), make_category("Juices")
    juice = make_product(category_id=drinks, unit_price="2.00")
    execute(c.UpdateProduct(product_id=juice, category_id=juices), meta())

    apply_batch("catalog", envelopes(drinks) + envelopes(juice))
    assert CategoryView.objects.get(id=drinks).active_product_count == 0
    apply_batch("catalog", envelopes(juices))
    assert CategoryView.objects.get(id=juices).active_product_count == 1
    assert ProductView.objects.get(id=juice).category_name == "Juices"


def test_the_same_events_in_either_order_give_the_same_tables_and_rebuild_agrees():
    category_id = make_category("Household")
    soap = make_product(category_id=category_id, stock=3, low_stock_threshold=5, unit_price="2.15")
    execute(c.RenameCategory(category_id=category_id, name="Home"), meta())
    execute(c.ChangeProductPrice(product_id=soap, unit_price=Decimal("2.25")), meta())

    stock = stock_stream_id(soap, "S1")
    apply_batch("catalog", envelopes(soap) + envelopes(stock) + envelopes(category_id))
    product_first = catalog_tables()
    call_command("rebuild_projections", "--context", "catalog", "--no-progress")
    assert catalog_tables() == product_first

    row = ProductView.objects.get(id=soap)
    assert (row.category_name, row.unit_price, row.on_hand, row.is_low_stock) == ("Home", Decimal("2.25"), 3, True)
    assert CategoryView.objects.get(id=category_id).active_product_count == 1

    store = StoreStockView.objects.get(product_id=soap)
    assert (store.store_code, store.on_hand, store.low_stock_threshold, store.is_low_stock) == ("S1", 3, 5, True)

    # The same events, category first and the stock before its product, in a fresh inbox: the same tables.
    from infrastructure.consumers.models import InboxEvent

    InboxEvent.objects.filter(consumer="catalog").delete()
    for model in (CategoryView, ProductView, StoreStockView, StockMovementView):
        model.objects.all().delete()
    apply_batch("catalog", envelopes(category_id) + envelopes(stock))
    assert StoreStockView.objects.get(product_id=soap).on_hand == 3  # the product is not known yet
    apply_batch("catalog", envelopes(soap))
    assert catalog_tables() == product_first


def test_unrelated_ids_do_not_interfere():
    stray = uuid.uuid4()
    product_id = make_product(category_id=None)
    apply_batch("catalog", envelopes(product_id))
    execute(c.CreateCategory(category_id=stray, name="Stray"), meta())
    apply_batch("catalog", envelopes(stray))
    assert CategoryView.objects.get(id=stray).active_product_count == 0
    assert ProductView.objects.get(id=product_id).category_name == ""
