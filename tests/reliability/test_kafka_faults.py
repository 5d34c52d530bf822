"""The Kafka broker is SIGKILLed in the middle of a stream of till sales, then started again.

The pipeline is full mode's own: sales through the API (each commit kicks the relay through
Redis), a Celery worker with beat relaying the outbox, and one `consume_events` process per
consuming context. While the broker is dead the till keeps selling (the events wait in the
outbox); once it is back, every event reaches every consumer, and each has exactly one effect:
the read models equal the event table and stock is received - sold + refunded.
"""

import pytest

from infrastructure.outbox.models import OutboxEntry
from infrastructure.kafka.topics import topic_for
from tests.helpers import services, wait_until
from tests.helpers.kafka import event_id, read_topic
from tests.helpers.fleet import (
    Stopwatch,
    assert_every_consumer_has_every_event,
    events_of,
    fleet,  # noqa: F401 - fixture
    kafka_restarter,  # noqa: F401 - fixture
    report,
    topic_prefix,  # noqa: F401 - fixture
    wait_worker_ready,
)
from tests.helpers.shop import Shop, assert_read_models_match_events

pytestmark = [pytest.mark.e2e, pytest.mark.disruptive]

CONSUMERS = ("catalog", "customers", "sales", "reporting")
SALES_BEFORE, SALES_DURING = 10, 14  # sales sent before the kill, and while the broker is dead
RECOVER_TIMEOUT = 90.0


def test_kafka_sigkilled_mid_stream_every_sale_reaches_every_consumer_once(
        fleet, kafka_restarter, api_client, cashier_user, record_property, capsys):  # noqa: F811
    for context in CONSUMERS:
        fleet.start(f"consumer:{context}")
    wait_worker_ready(fleet.start("relay"))
    shop = Shop(api_client, cashier_user).open()

    for n in range(SALES_BEFORE):
        order = shop.sell(n)
        if n % 4 == 1:
            shop.refund_first_line(order)
    # Killed right behind the last sale: its events are on their way through relay and consumers.
    services("kill", "kafka")
    down = Stopwatch()
    for n in range(SALES_BEFORE, SALES_BEFORE + SALES_DURING):  # the till does not notice
        order = shop.sell(n)
        if n % 4 == 1:
            shop.refund_first_line(order)
    sales_while_down_s = down()
    pending_at_restart = OutboxEntry.objects.filter(published_at__isnull=True).count()
    assert pending_at_restart > 0  # what was sold while the broker was dead waited in the outbox

    restart = Stopwatch()
    services("start", "kafka")
    broker_restart_s = restart()
    back = Stopwatch()
    fleet.assert_running()  # nothing died with the broker
    wait_until(lambda: fleet.assert_running() or shop.caught_up(), timeout=RECOVER_TIMEOUT, interval=0.5,
               message="stock, sales and reporting to catch up after the broker came back")
    wait_until(lambda: not OutboxEntry.objects.filter(published_at__isnull=True).exists(), timeout=30,
               interval=0.2, message="the outbox to drain")
    caught_up_s = back()

    # Wait for every inbox to hold every event before comparing (caught_up looks at a few rows).
    def inboxes_complete():
        try:
            return assert_every_consumer_has_every_event(CONSUMERS)
        except AssertionError:
            return None

    inbox_rows = wait_until(inboxes_complete, timeout=30, interval=0.5, message="every inbox to be complete")
    recovered_s = back()
    events_by_type = assert_read_models_match_events(shop)

    published = {ctx: [event_id(r) for r in read_topic(topic_for(ctx))] for ctx in ("sales", "catalog")}
    appended = {ctx: events_of(ctx).count() for ctx in ("sales", "catalog")}
    for ctx in published:
        assert set(published[ctx]) == set(events_of(ctx).values_list("event_id", flat=True))
    batches = {ctx: fleet.consumer_batches(ctx) for ctx in CONSUMERS}
    assert all(applied == inbox_rows[ctx] for ctx, (_, applied, _) in batches.items()), (batches, inbox_rows)
    report(record_property, capsys, "kafka SIGKILL mid-stream", {
        "sales": len(shop.orders), "refunds": sum(shop.refunded.values()),
        "sales_while_broker_down": SALES_DURING, "api_time_while_down_s": round(sales_while_down_s, 2),
        "events_appended": appended, "events_by_type": events_by_type,
        "outbox_pending_at_restart": pending_at_restart,
        "records_on_kafka": {ctx: len(ids) for ctx, ids in published.items()},
        "relay_republished": {ctx: len(ids) - len(set(ids)) for ctx, ids in published.items()},
        "inbox_rows": inbox_rows,
        "consumer_messages_applied_duplicates": batches,
        "duplicates_suppressed": sum(d for _, _, d in batches.values()),
        "lost": 0, "broker_restart_s": broker_restart_s, "read_models_caught_up_s": caught_up_s, "recovered_s": recovered_s,
    })
