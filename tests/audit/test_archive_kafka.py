"""The archive through Kafka, with the real processes of full mode (tests/helpers/fleet.py):
the relay worker, one consumer per context, and the audit consumer writing to the real FerretDB
of scripts/services.

- after a shop day, the archive holds exactly the event tables' events (ids per context, each
  stream's versions);
- the audit consumer SIGKILLed half-way through a backlog and started again: one document per event;
- FerretDB SIGKILLed while events keep coming, then started again: nothing lost, nothing DEAD.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from contexts.audit import archive
from infrastructure.consumers.models import InboxEvent
from infrastructure.eventstore.models import StoredEvent
from infrastructure.outbox.models import OutboxEntry
from tests.helpers import services, wait_until
from tests.helpers.fleet import fleet, topic_prefix, wait_worker_ready  # noqa: F401 - fixtures
from tests.helpers.shop import Shop

from .support import archived_ids_by_context, audit_db, stored_ids_by_context  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e

CONSUMERS = ("catalog", "customers", "sales", "reporting", "audit")
WAIT_S = 120.0


def start_system(fleet, audit_db, api_client, cashier_user) -> Shop:  # noqa: F811
    fleet.env["MONGODB_DATABASE"] = audit_db  # the consumer writes where this test reads
    for context in CONSUMERS:
        fleet.start(f"consumer:{context}")
    wait_worker_ready(fleet.start("relay"))
    return Shop(api_client, cashier_user).open()


def sell(shop: Shop, numbers) -> None:
    for n in numbers:
        order = shop.sell(n)
        if n % 4 == 0:
            shop.refund_first_line(order)


def archive_complete() -> bool:
    stored = stored_ids_by_context()
    return bool(stored) and archived_ids_by_context() == stored


def wait_archived(shop: Shop, fleet) -> None:  # noqa: F811
    wait_until(lambda: fleet.assert_running() or shop.caught_up(), timeout=WAIT_S, interval=0.2,
               message="the read models to catch up (every event, including the policies', exists)")
    wait_until(archive_complete, timeout=WAIT_S, interval=0.3, message="the archive to hold every event")


def assert_one_document_per_event_in_stream_order() -> None:
    documents = list(archive.collection().find({}, {"_id": 1, "stream_id": 1, "version": 1}))
    assert len(documents) == len({d["_id"] for d in documents}) == StoredEvent.objects.count()
    versions = defaultdict(list)
    for doc in documents:
        versions[doc["stream_id"]].append(doc["version"])
    stored = defaultdict(list)
    for stream_id, version in StoredEvent.objects.order_by("stream_id", "version").values_list("stream_id", "version"):
        stored[stream_id].append(version)
    assert {s: sorted(v) for s, v in versions.items()} == dict(stored)
    assert not InboxEvent.objects.filter(consumer="audit").exclude(status=InboxEvent.APPLIED).exists()


def test_the_archive_equals_the_event_tables_after_a_shop_day(fleet, audit_db, api_client, cashier_user):  # noqa: F811
    shop = start_system(fleet, audit_db, api_client, cashier_user)
    sell(shop, range(16))
    wait_archived(shop, fleet)
    by_context = stored_ids_by_context()
    assert {"catalog", "sales"} <= set(by_context)
    assert {c: len(ids) for c, ids in archived_ids_by_context().items()} == {c: len(ids) for c, ids in by_context.items()}
    assert_one_document_per_event_in_stream_order()


def test_the_audit_consumer_killed_mid_backlog_leaves_one_document_per_event(fleet, audit_db, api_client,  # noqa: F811
                                                                              cashier_user):
    shop = start_system(fleet, audit_db, api_client, cashier_user)
    sell(shop, range(2))
    wait_archived(shop, fleet)
    fleet.pause("consumer:audit")
    sell(shop, range(2, 32))
    wait_until(lambda: not OutboxEntry.objects.filter(published_at__isnull=True).exists(), timeout=WAIT_S,
               interval=0.2, message="the backlog to be on Kafka")
    before = archive.collection().count_documents({})
    fleet.resume("consumer:audit")
    wait_until(lambda: archive.collection().count_documents({}) > before, timeout=WAIT_S, interval=0.002,
               message="the resumed audit consumer to archive part of its backlog")
    fleet.kill("consumer:audit")
    at_kill = archive.collection().count_documents({})
    assert at_kill < StoredEvent.objects.count(), "killed with part of the backlog still to archive"
    fleet.start("consumer:audit")
    sell(shop, range(32, 34))
    wait_archived(shop, fleet)
    assert_one_document_per_event_in_stream_order()


@pytest.fixture
def ferretdb_restarter():
    """Starts FerretDB again at teardown if the test left it down (a failure half-way)."""
    yield
    if "ferretdb  running" not in services("status", check=False).stdout:
        services("start", "ferretdb")


@pytest.mark.disruptive
def test_ferretdb_killed_and_restarted_loses_nothing(fleet, audit_db, api_client, cashier_user,  # noqa: F811
                                                     ferretdb_restarter):
    shop = start_system(fleet, audit_db, api_client, cashier_user)
    sell(shop, range(3))
    wait_archived(shop, fleet)
    services("kill", "ferretdb")
    sell(shop, range(3, 11))  # the tills go on; the archive is behind
    wait_until(lambda: fleet.assert_running() or shop.caught_up(), timeout=WAIT_S, interval=0.2,
               message="the other read models to catch up while the archive is down")
    # Down for longer than pymongo waits for a server (5 s): the consumer's poll fails and is rewound.
    wait_until(lambda: "is unreachable" in fleet.current["consumer:audit"].log_text(), timeout=WAIT_S,
               interval=0.2, message="the audit consumer to meet the outage")
    services("start", "ferretdb")
    wait_archived(shop, fleet)
    assert_one_document_per_event_in_stream_order()
