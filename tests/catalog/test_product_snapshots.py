"""A busy product is loaded from a snapshot, not by replaying every sale since it was created,
and what is loaded equals a full replay (the snapshot is only a cache)."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from contexts.catalog import commands as c
from contexts.catalog.domain.product import Product
from infrastructure.aggregates.repository import Repository
from infrastructure.commands.bus import execute
from infrastructure.eventstore.models import Snapshot

from .support import make_product, meta

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _observable(product: Product) -> tuple:
    return product.state(), product.reservations


def test_sales_snapshot_a_product_and_a_load_reads_only_the_events_after_it():
    product_id = make_product(stock=100)
    reserved_for = uuid.uuid4()
    execute(c.ReserveStock(order_id=reserved_for, lines=(c.OrderLineQuantity(product_id, 5),)), meta())
    sales = 2 * Product.snapshot_every + 3
    for _ in range(sales):
        execute(c.RecordSale(order_id=uuid.uuid4(), lines=(c.OrderLineQuantity(product_id, 1),)), meta())

    snap = Snapshot.objects.get(stream_id=str(product_id))
    version = 3 + sales  # created, received, reserved, then one StockSold per sale
    assert version - Product.snapshot_every < snap.version <= version
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM es_event WHERE stream_id = %s AND version > %s",
                       [str(product_id), snap.version])
        (after,) = cursor.fetchone()
    assert after == version - snap.version < Product.snapshot_every

    from_snapshot = Repository(Product).get(product_id)
    Snapshot.objects.filter(stream_id=str(product_id)).delete()
    full_replay = Repository(Product).get(product_id)
    assert from_snapshot.version == full_replay.version == version
    assert _observable(from_snapshot) == _observable(full_replay)
    assert from_snapshot.state()["on_hand"] == 100 - sales and from_snapshot.reservations == {reserved_for: 5}
