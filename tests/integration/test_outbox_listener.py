"""The relay woken by PostgreSQL LISTEN/NOTIFY (the loop each context's Celery worker hosts, and
`relay_outbox --listen`), on real PostgreSQL and Kafka: the outbox trigger notifies at commit,
the listener publishes what a commit added, and it survives losing its listening connection."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, connections, transaction

from infrastructure.eventstore.store import EventStore
from infrastructure.outbox.listener import channel, listen_and_relay
from infrastructure.outbox.models import OutboxEntry
from tests.helpers import wait_until
from tests.integration.test_outbox_relay import LAB, PassLog, added, opened, records_of

pytestmark = pytest.mark.integration

TIMEOUT_S = 15


@pytest.fixture
def listener():
    """Run listen_and_relay for the lab context in a thread; stopped and joined at teardown."""
    stop, listening, log = threading.Event(), threading.Event(), PassLog()
    errors: list[BaseException] = []

    def body():
        try:
            # A sweep far in the future: within the test only a notification can wake it.
            listen_and_relay([LAB], stop, sweep_every=600, on_published=log.recorder("listener"), listening=listening)
        except BaseException as exc:  # noqa: BLE001 - reported at teardown
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=body, name="relay-listener", daemon=True)
    thread.start()
    assert listening.wait(TIMEOUT_S), "the listener never started listening"
    yield log
    stop.set()
    thread.join(TIMEOUT_S)
    assert not thread.is_alive(), "the listener did not stop"
    assert not errors, errors


def listen_connection(context=LAB):
    conn = connection.get_new_connection(connection.get_connection_params())
    conn.autocommit = True
    conn.execute(f'LISTEN "{channel(context)}"')
    return conn


def published(stream: str) -> bool:
    rows = OutboxEntry.objects.filter(stream_id=stream)
    return rows.exists() and not rows.filter(published_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_the_outbox_notifies_its_context_when_the_append_commits():
    conn = listen_connection()
    try:
        stream = str(uuid.uuid4())
        with transaction.atomic():
            EventStore(LAB).append("Tally", stream, 0, [opened(stream), added(stream, 1)])
            EventStore(LAB).append("Tally", stream, 2, [added(stream, 2)])
            assert list(conn.notifies(timeout=0.3)) == []  # nothing before the commit
        notes = list(conn.notifies(timeout=TIMEOUT_S, stop_after=1)) + list(conn.notifies(timeout=0.3))
        assert [n.payload for n in notes] == [LAB]  # one per context and transaction
    finally:
        conn.close()


@pytest.mark.django_db(transaction=True)
def test_a_commit_wakes_only_its_own_contexts_channel():
    other, own = listen_connection("catalog"), listen_connection(LAB)
    try:
        stream = str(uuid.uuid4())
        EventStore(LAB).append("Tally", stream, 0, [opened(stream)])
        assert [n.payload for n in own.notifies(timeout=TIMEOUT_S, stop_after=1)] == [LAB]
        assert list(other.notifies(timeout=0.3)) == []  # catalog's relay sleeps on
    finally:
        other.close()
        own.close()


@pytest.mark.django_db(transaction=True)
def test_the_listener_publishes_a_commit(listener):
    stream = str(uuid.uuid4())
    EventStore(LAB).append("Tally", stream, 0, [opened(stream), added(stream, 1)])

    wait_until(lambda: published(stream), timeout=TIMEOUT_S, message="the listener to publish the commit")
    assert [e.version for e in listener.published() if e.stream_id == stream] == [1, 2]
    assert len(records_of([stream])) == 2


@pytest.mark.django_db(transaction=True)
def test_the_listener_reconnects_when_its_connection_is_killed(listener):
    def listening_pids():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND query = %s AND pid <> pg_backend_pid()", [f'LISTEN "{channel(LAB)}"'])
            return [pid for (pid,) in cursor.fetchall()]

    [pid] = listening_pids()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    wait_until(lambda: listening_pids() not in ([], [pid]), timeout=TIMEOUT_S, message="the listener to reconnect")

    stream = str(uuid.uuid4())
    EventStore(LAB).append("Tally", stream, 0, [opened(stream)])
    wait_until(lambda: published(stream), timeout=TIMEOUT_S, message="the reconnected listener to publish")
    assert len(records_of([stream])) == 1
