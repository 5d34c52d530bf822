"""The Celery relay worker is SIGKILLed half-way through publishing a backlog, and a consumer
process (`consume_events --context reporting`) half-way through applying one; both are started
again. End state: every event on Kafka and in every inbox once, read models equal to the event
table, no second effect of the records published or delivered twice (the inbox drops them).

To make each kill land mid-work, the process is first paused (SIGSTOP) while till sales pile
up, then resumed (SIGCONT) and SIGKILLed as soon as it is seen half-way: for the relay, Kafka
holds records of the backlog whose outbox rows are not marked published yet; for the consumer,
its inbox has taken part of the backlog, not all.
"""

import pytest

from infrastructure.consumers.models import InboxEvent
from infrastructure.consumers.registry import source_contexts
from infrastructure.eventstore.models import StoredEvent
from infrastructure.kafka.topics import topic_for
from infrastructure.outbox.models import OutboxEntry
from tests.helpers import wait_until
from tests.helpers.kafka import event_id, read_topic
from tests.helpers.fleet import (
    Stopwatch,
    TopicEnds,
    assert_every_consumer_has_every_event,
    events_of,
    fleet,  # noqa: F401 - fixture
    report,
    topic_prefix,  # noqa: F401 - fixture
    wait_worker_ready,
)
from tests.helpers.shop import Shop, assert_read_models_match_events

pytestmark = [pytest.mark.e2e, pytest.mark.disruptive]

CONSUMERS = ("catalog", "customers", "sales", "reporting")
WARM_UP, BACKLOG, AFTER = 4, 30, 4  # sales before the faults, piled up behind the paused processes, after
WAIT_S = 60.0
WATCH_INTERVAL = 0.002  # the half-way states last tens of milliseconds
MAX_ATTEMPTS = 5  # set-ups of the relay's half-way kill before the test gives up


def published_marks(context: str) -> int:
    return OutboxEntry.objects.filter(context=context, published_at__isnull=False).count()


class FirstPendingRowHeld:
    """A transaction of its own holding the row lock of `context`'s first pending outbox entry.
    The relay's pass produces its batch to Kafka, then waits on that row to mark the batch
    published: the state "on Kafka, not marked" lasts until `release()` instead of milliseconds
    (a race the test lost on a busy machine: the whole pass fell between two 2 ms looks)."""

    def __init__(self, context: str):
        from django.db import connections

        self.connection = connections.create_connection("default")
        self.connection.set_autocommit(False)
        table = self.connection.ops.quote_name(OutboxEntry._meta.db_table)
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT position FROM {table} WHERE context = %s AND published_at IS NULL "
                           "ORDER BY position LIMIT 1 FOR UPDATE", [context])
            assert cursor.fetchone() is not None, f"no pending {context} outbox entry to hold"

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()


def test_relay_worker_and_consumer_sigkilled_mid_work_no_loss_no_double_effect(
        fleet, api_client, cashier_user, record_property, capsys):  # noqa: F811
    for context in CONSUMERS:
        fleet.start(f"consumer:{context}")
    wait_worker_ready(fleet.start("relay"))
    shop = Shop(api_client, cashier_user).open()
    for n in range(WARM_UP):
        shop.sell(n)
    wait_until(shop.caught_up, timeout=WAIT_S, interval=0.2, message="the warm-up sales to go through")
    sales_topic = TopicEnds(topic_for("sales"))
    try:
        # --- the relay worker, SIGKILLed with part of a backlog on Kafka and not marked published
        wait_until(lambda: sales_topic.records() == published_marks("sales"), timeout=WAIT_S, interval=0.1,
                   message="the relay to be idle (every record on Kafka marked published)")
        fleet.pause("consumer:reporting")
        # The relay is killed between producing records and marking them published. The test holds
        # the first pending outbox row, so the relay's marking waits on it and that moment lasts;
        # should the kill still come after the marks, the scenario did not happen and it is set up
        # again with a new backlog (a precondition established, never a check relaxed).
        next_sale, backlog_events, attempts = WARM_UP, 0, 0
        while True:
            attempts += 1
            wait_until(lambda: sales_topic.records() == published_marks("sales"), timeout=WAIT_S, interval=0.1,
                       message="the relay to be idle (every record on Kafka marked published)")
            fleet.pause("relay")
            for n in range(next_sale, next_sale + BACKLOG):
                order = shop.sell(n)
                if n % 5 == 0:
                    shop.refund_first_line(order)
            next_sale += BACKLOG
            pending = OutboxEntry.objects.filter(context="sales", published_at__isnull=True).count()
            assert pending > 0
            backlog_events += pending

            held = FirstPendingRowHeld("sales")
            fleet.resume("relay")
            state = {}

            def relay_half_way():
                records, marked = sales_topic.records(), published_marks("sales")
                state.update(records=records, marked=marked)
                return records > marked

            try:
                wait_until(relay_half_way, timeout=WAIT_S, interval=WATCH_INTERVAL,
                           message="the resumed relay to have records on Kafka that it has not marked published")
                fleet.kill("relay")
            finally:
                held.release()  # the killed relay's transaction, which waited on it, then rolls back
            relay_killed = Stopwatch()
            on_kafka_unmarked = sales_topic.records() - published_marks("sales")
            if on_kafka_unmarked > 0:  # still so after the kill: these go out a second time
                break
            assert attempts < MAX_ATTEMPTS, f"the kill landed after the marks {attempts} times in a row"
            wait_worker_ready(fleet.start("relay"))
        wait_worker_ready(fleet.start("relay"))
        wait_until(lambda: not OutboxEntry.objects.filter(published_at__isnull=True).exists(), timeout=WAIT_S,
                   interval=0.2, message="the restarted relay to publish the rest of the backlog")
        relay_recovered_s = relay_killed()

        # --- the reporting consumer, SIGKILLed with part of the backlog applied
        base = InboxEvent.objects.filter(consumer="reporting").count()
        its_events = StoredEvent.objects.filter(context__in=source_contexts("reporting")).count()
        fleet.resume("consumer:reporting")

        def consumer_half_way():
            return base < InboxEvent.objects.filter(consumer="reporting").count()

        wait_until(consumer_half_way, timeout=WAIT_S, interval=WATCH_INTERVAL,
                   message="the resumed reporting consumer to apply part of its backlog")
        fleet.kill("consumer:reporting")
        consumer_killed = Stopwatch()
        inbox_at_kill = InboxEvent.objects.filter(consumer="reporting").count()
        assert inbox_at_kill < its_events  # killed with part of its backlog still to apply
        fleet.start("consumer:reporting")
    finally:
        sales_topic.close()

    for n in range(next_sale, next_sale + AFTER):  # life goes on
        shop.sell(n)
    wait_until(lambda: fleet.assert_running() or shop.caught_up(), timeout=WAIT_S, interval=0.2,
               message="read models to catch up after the restarts")

    def inboxes_complete():
        try:
            return assert_every_consumer_has_every_event(CONSUMERS)
        except AssertionError:
            return None

    inbox_rows = wait_until(inboxes_complete, timeout=WAIT_S, interval=0.5, message="every inbox to be complete")
    consumer_recovered_s = consumer_killed()
    events_by_type = assert_read_models_match_events(shop)

    published = {ctx: [event_id(r) for r in read_topic(topic_for(ctx))] for ctx in ("sales", "catalog")}
    for ctx, ids in published.items():
        assert set(ids) == set(events_of(ctx).values_list("event_id", flat=True))
    republished = len(published["sales"]) - len(set(published["sales"]))
    assert republished >= on_kafka_unmarked  # what was on Kafka unmarked at the kill did go out again
    batches = {ctx: fleet.consumer_batches(ctx) for ctx in CONSUMERS}
    # Every consumer saw the republished records and dropped them; reporting also re-read what its
    # killed predecessor had applied without committing the offsets.
    assert all(duplicates >= republished for _, _, duplicates in batches.values()), batches
    report(record_property, capsys, "relay worker and consumer SIGKILLed mid-work", {
        "sales": len(shop.orders), "refunds": sum(shop.refunded.values()), "backlog_sales": BACKLOG,
        "relay_kill_attempts": attempts,
        "backlog_sales_events": backlog_events, "events_by_type": events_by_type,
        "relay_kill_on_kafka_unmarked": on_kafka_unmarked, "relay_watch_state": state,
        "relay_republished": republished, "relay_recovered_s": relay_recovered_s,
        "reporting_inbox_before_at_kill_backlog_end": [base, inbox_at_kill, its_events],
        "inbox_rows": inbox_rows, "consumer_messages_applied_duplicates": batches,
        "duplicates_suppressed": sum(d for _, _, d in batches.values()),
        "lost": 0, "consumer_recovered_s": consumer_recovered_s,
    })
