"""A busy product's stock in a store is loaded from a snapshot, not by replaying every sale since
it was first received, and what is loaded equals a full replay (the snapshot is only a cache)."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from contexts.catalog import commands as c
from contexts.catalog.domain.stock import StoreStock, stock_stream_id
from infrastructure.aggregates.repository import Repository
from infrastructure.commands.bus import execute
from infrastructure.eventstore.models import Snapshot

from .support import make_product, meta

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _observable(stock: StoreStock) -> tuple:
    return stock.state(), stock.reservations


def test_sales_snapshot_a_stock_stream_and_a_load_reads_only_the_events_after_it():
    product_id = make_product(stock=100)
    stream_id = stock_stream_id(product_id, "S1")
    reserved_for = uuid.uuid4()
    execute(c.ReserveStock(order_id=reserved_for, lines=(c.OrderLineQuantity(product_id, 5),)), meta())
    sales = 2 * StoreStock.snapshot_every + 3
    for _ in range(sales):
        execute(c.RecordSale(order_id=uuid.uuid4(), lines=(c.OrderLineQuantity(product_id, 1),)), meta())

    snap = Snapshot.objects.get(stream_id=stream_id)
    version = 2 + sales  # received, reserved, then one StockSold per sale
    assert version - StoreStock.snapshot_every < snap.version <= version
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM es_event WHERE stream_id = %s AND version > %s",
                       [stream_id, snap.version])
        (after,) = cursor.fetchone()
    assert after == version - snap.version < StoreStock.snapshot_every

    from_snapshot = Repository(StoreStock).get(stream_id)
    Snapshot.objects.filter(stream_id=stream_id).delete()
    full_replay = Repository(StoreStock).get(stream_id)
    assert from_snapshot.version == full_replay.version == version
    assert _observable(from_snapshot) == _observable(full_replay)
    assert from_snapshot.state()["on_hand"] == 100 - sales and from_snapshot.reservations == {reserved_for: 5}
    # The product's own stream took none of it: a price change never waits for a sale.
    assert not Snapshot.objects.filter(stream_id=str(product_id)).exists()
