"""The outbox relay against real PostgreSQL and a real Kafka broker.

The central risk (docs/architecture.md, "How a change flows", step 4): positions are allocated in
insertion order but become visible in commit order, so a relay that followed "position > last
seen" would skip an event whose transaction commits late. These tests hold transactions open on
purpose while later events commit and relay passes run, and then check that everything arrived,
once, in per-stream order.
"""

from __future__ import annotations

import io
import socket
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings

from infrastructure.commands.bus import execute, handles
from infrastructure.consumers import registry
from infrastructure.consumers.models import InboxEvent
from infrastructure.eventstore.envelope import Envelope
from infrastructure.eventstore.store import EventStore
from infrastructure.kafka.topics import topic_for
from infrastructure.locks import lock_key
from infrastructure.outbox import relay
from infrastructure.outbox.models import OutboxEntry
from infrastructure.outbox.relay import relay_pending
from tests.helpers import ManagedProcess, child_env, services, venv_bin, wait_until
from tests.helpers.kafka import event_id, header, read_topic
from tests.lab.domain import ItemAdded, Tally, TallyOpened
from tests.lab.models import TallyTotal
from tests.lab.subscribers import AUTO_ITEM, AUTO_PREFIX

pytestmark = pytest.mark.integration

LAB = "lab"
THREAD_TIMEOUT_S = 60


# --- helpers ----------------------------------------------------------------------------------
class PassLog:
    """What each relay pass published (`on_published` callback), from any number of threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.passes: list[tuple[str, list[Envelope]]] = []

    def recorder(self, name: str):
        def on_published(envelopes: list[Envelope]) -> None:
            with self._lock:
                self.passes.append((name, list(envelopes)))
        return on_published

    def published(self) -> list[Envelope]:
        with self._lock:
            return [env for _, batch in self.passes for env in batch]


def opened(stream: str) -> TallyOpened:
    return TallyOpened(tally_id=stream, name=f"tally {stream[:8]}")


def added(stream: str, n: int) -> ItemAdded:
    return ItemAdded(tally_id=stream, item=f"item-{n}", quantity=n, amount=Decimal(f"{n}.25"))


def pending_positions(streams) -> set[int]:
    return set(OutboxEntry.objects.filter(stream_id__in=list(streams), published_at__isnull=True)
               .values_list("position", flat=True))


def records_of(streams) -> list:
    """Our streams' messages on the lab topic (other tests of this run share the topic)."""
    wanted = {s.encode() for s in streams}
    return [r for r in read_topic(topic_for(LAB)) if r.key in wanted]


def assert_per_stream_order(records, expected_versions: dict[str, int]) -> None:
    """Each stream's messages sit in one partition, keyed by the stream, in version order 1..n."""
    by_stream = defaultdict(list)
    partitions = defaultdict(set)
    for record in records:  # read_topic returns each partition in offset order
        stream = record.key.decode()
        assert header(record, "ce_subject") == stream
        by_stream[stream].append(int(header(record, "ce_streamversion")))
        partitions[stream].add(record.partition)
    assert dict(by_stream) == {s: list(range(1, n + 1)) for s, n in expected_versions.items()}
    assert all(len(p) == 1 for p in partitions.values()), partitions


class Worker:
    """A thread with its own database connection (closed when it ends); errors are kept for the test."""

    def __init__(self, name: str, target):
        self.error: BaseException | None = None
        self.result = None
        self._target = target
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self):
        try:
            self.result = self._target()
        except BaseException as exc:  # noqa: BLE001 - reported by join()
            self.error = exc
        finally:
            connection.close()

    def start(self) -> Worker:
        self.thread.start()
        return self

    def join(self) -> None:
        self.thread.join(THREAD_TIMEOUT_S)
        assert not self.thread.is_alive(), f"{self.thread.name} still running after {THREAD_TIMEOUT_S}s"
        if self.error is not None:
            raise AssertionError(f"{self.thread.name} failed: {self.error!r}") from self.error


@pytest.fixture
def workers():
    """Every Worker a test starts is released and joined at teardown, even if the test failed."""
    started: list[Worker] = []
    releases: list[threading.Event] = []

    def start(name, target) -> Worker:
        worker = Worker(name, target).start()
        started.append(worker)
        return worker

    start.releases = releases
    yield start
    for event in releases:
        event.set()
    for worker in started:
        worker.thread.join(THREAD_TIMEOUT_S)
    alive = [w.thread.name for w in started if w.thread.is_alive()]
    assert not alive, f"threads left running: {alive}"


# --- (a) concurrent writers, some committing late, two relays running passes meanwhile ----------
N_WRITERS = 8
HOLDING_WRITERS = (0, 3, 6)
STREAMS_PER_WRITER = 3
EVENTS_PER_STREAM = 6  # TallyOpened + 5 ItemAdded
RELAY_BATCH = 7  # small, so a relay needs many passes and batches split streams


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_with_late_commits_every_event_arrives_once_in_stream_order(workers):
    streams = {w: [str(uuid.uuid4()) for _ in range(STREAMS_PER_WRITER)] for w in range(N_WRITERS)}
    all_streams = [s for ss in streams.values() for s in ss]
    held_appended = {w: threading.Event() for w in HOLDING_WRITERS}
    release_held, free_writers_go, stop_relays = threading.Event(), threading.Event(), threading.Event()
    workers.releases.extend([release_held, free_writers_go, stop_relays])
    log = PassLog()

    def writer(w: int):
        def run() -> list[Envelope]:
            store, mine, out = EventStore(LAB), streams[w], []
            version = dict.fromkeys(mine, 0)

            def append(stream, events):
                out.extend(store.append("Tally", stream, version[stream], events))
                version[stream] += len(events)

            if w in HOLDING_WRITERS:
                # Open every stream in ONE transaction that stays open: these events take low
                # positions now and become visible only after many later positions committed.
                with transaction.atomic():
                    for stream in mine:
                        append(stream, [opened(stream)])
                    held_appended[w].set()
                    assert release_held.wait(THREAD_TIMEOUT_S), "never released"
            else:
                assert free_writers_go.wait(THREAD_TIMEOUT_S), "never started"
                for stream in mine:
                    append(stream, [opened(stream)])
            n = 1
            while n < EVENTS_PER_STREAM:
                for stream in mine:
                    if n + 1 < EVENTS_PER_STREAM and (n + w) % 3 == 0:
                        append(stream, [added(stream, n), added(stream, n + 1)])  # two events, one commit
                    else:
                        append(stream, [added(stream, n)])
                n = min(version.values())
            return out
        return run

    def relay_loop(name: str):
        def run() -> int:
            passes = 0
            while not stop_relays.is_set():
                relay_pending(LAB, batch_size=RELAY_BATCH, on_published=log.recorder(name))
                passes += 1
                stop_relays.wait(0.005)  # pacing between relay calls, not a wait for a condition
            return passes
        return run

    relays = [workers(f"relay-{i}", relay_loop(f"relay-{i}")) for i in range(2)]
    holders = [workers(f"writer-{w}", writer(w)) for w in HOLDING_WRITERS]
    wait_until(lambda: all(e.is_set() for e in held_appended.values()), timeout=30,
               message="the holding writers to append inside their open transactions")
    free_writers_go.set()
    free = [workers(f"writer-{w}", writer(w)) for w in range(N_WRITERS) if w not in HOLDING_WRITERS]
    for worker in free:
        worker.join()
    free_ids = {e.event_id for worker in free for e in worker.result}

    # The relays publish everything that committed, past the held (lower, invisible) positions.
    wait_until(lambda: free_ids <= {e.event_id for e in log.published()}, timeout=60,
               message="the relays to publish the committed events")
    held_streams = [s for w in HOLDING_WRITERS for s in streams[w]]
    assert not {e.stream_id for e in log.published()} & set(held_streams), "held events went out before commit"

    release_held.set()
    for worker in holders:
        worker.join()
    written = [e for worker in holders + free for e in worker.result]
    wait_until(lambda: not pending_positions(all_streams), timeout=60, message="the outbox to drain")
    stop_relays.set()
    for worker in relays:
        worker.join()
    assert all(worker.result > 0 for worker in relays)

    # Every event was published exactly once, across all passes of both relays.
    published = log.published()
    ours = [e for e in published if e.stream_id in set(all_streams)]
    assert sorted(e.event_id for e in ours) == sorted(e.event_id for e in written)
    assert len(written) == N_WRITERS * STREAMS_PER_WRITER * EVENTS_PER_STREAM
    for name, batch in log.passes:
        assert len({e.event_id for e in batch}) == len(batch), f"a pass of {name} published an event twice"
        assert [e.position for e in batch] == sorted(e.position for e in batch)
    # In publication order, each stream's versions come 1..n.
    versions = defaultdict(list)
    for envelope in ours:
        versions[envelope.stream_id].append(envelope.version)
    assert versions == {s: list(range(1, EVENTS_PER_STREAM + 1)) for s in all_streams}
    # The late commits really happened: held events (low positions) went out after higher ones.
    held_first = [e for e in written if e.stream_id in held_streams and e.version == 1]
    max_free_position = max(e.position for e in written if e.event_id in free_ids)
    assert max(e.position for e in held_first) < max_free_position
    order = {e.event_id: i for i, e in enumerate(ours)}
    assert min(order[e.event_id] for e in held_first) > max(order[i] for i in free_ids)

    # And Kafka has them all, once, keyed by stream, in version order per stream.
    records = records_of(all_streams)
    assert sorted(event_id(r) for r in records) == sorted(e.event_id for e in written)
    assert_per_stream_order(records, dict.fromkeys(all_streams, EVENTS_PER_STREAM))


# --- (b) the late-committing transaction, step by step ----------------------------------------
@pytest.mark.django_db(transaction=True)
def test_an_event_committed_after_a_later_position_is_published_by_the_next_pass(workers):
    stream_1, stream_2 = str(uuid.uuid4()), str(uuid.uuid4())
    t1_appended, t1_commit = threading.Event(), threading.Event()
    workers.releases.append(t1_commit)

    def t1():
        with transaction.atomic():
            [envelope] = EventStore(LAB).append("Tally", stream_1, 0, [opened(stream_1)])
            t1_appended.set()
            assert t1_commit.wait(THREAD_TIMEOUT_S), "never told to commit"
        return envelope

    writer_1 = workers("t1", t1)
    wait_until(t1_appended.is_set, timeout=15, message="T1 to append")
    [e2] = EventStore(LAB).append("Tally", stream_2, 0, [opened(stream_2)])  # T2: commits now

    first = PassLog()
    assert relay_pending(LAB, on_published=first.recorder("pass-1")) == 1
    assert [e.event_id for e in first.published()] == [e2.event_id]

    t1_commit.set()
    writer_1.join()
    e1 = writer_1.result
    # T1 took the lower position, yet became visible only now: a "position > last seen" cursor
    # (last seen = e2.position) would never look at it again.
    assert e1.position < e2.position

    second = PassLog()
    assert relay_pending(LAB, on_published=second.recorder("pass-2")) == 1
    assert [e.event_id for e in second.published()] == [e1.event_id]
    assert relay_pending(LAB) == 0
    assert not pending_positions([stream_1, stream_2])

    records = records_of([stream_1, stream_2])
    assert sorted(event_id(r) for r in records) == sorted([e1.event_id, e2.event_id])


# --- one relay per context ---------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_relay_that_finds_the_context_locked_waits_for_the_holder_then_publishes(workers, monkeypatch):
    stream = str(uuid.uuid4())
    [envelope] = EventStore(LAB).append("Tally", stream, 0, [opened(stream)])
    locked, unlock = threading.Event(), threading.Event()
    workers.releases.append(unlock)

    def hold_the_relay_lock():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key("relay", LAB)])
            locked.set()
            assert unlock.wait(THREAD_TIMEOUT_S)

    holder = workers("lock-holder", hold_the_relay_lock)
    wait_until(locked.is_set, timeout=15, message="the other session to take the relay lock")

    # A holder that keeps the lock past the wait limit: the relay gives up, nothing is marked.
    monkeypatch.setattr(relay, "LOCK_WAIT", "300ms")
    assert relay_pending(LAB) == 0
    assert pending_positions([stream]) == {envelope.position}

    # Within the limit: the relay waits for the holder, then makes its own pass (no lost kick).
    monkeypatch.setattr(relay, "LOCK_WAIT", "15s")
    published = []

    def relay_when_free():
        try:
            published.append(relay_pending(LAB))
        finally:
            connection.close()

    waiter = threading.Thread(target=relay_when_free, daemon=True)
    waiter.start()
    wait_until(lambda: _waits_on_advisory_lock(), timeout=10, message="the relay to wait on the lock")
    assert published == [] and pending_positions([stream]) == {envelope.position}
    unlock.set()
    holder.join()
    waiter.join(THREAD_TIMEOUT_S)
    assert published == [1] and pending_positions([stream]) == set()


def _waits_on_advisory_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND wait_event = 'advisory' AND datname = current_database()")
        return cursor.fetchone()[0] > 0


# --- batches, the sweep and the management command ---------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_backlog_larger_than_a_batch_goes_out_in_position_order_over_several_passes():
    store = EventStore(LAB)
    streams = [str(uuid.uuid4()) for _ in range(4)]
    for stream in streams:
        store.append("Tally", stream, 0, [opened(stream)] + [added(stream, n) for n in range(1, 5)])
    log = PassLog()

    assert relay_pending(LAB, batch_size=3, on_published=log.recorder("r")) == 20

    assert [len(batch) for _, batch in log.passes] == [3, 3, 3, 3, 3, 3, 2]
    positions = [e.position for e in log.published()]
    assert positions == sorted(positions) and len(set(positions)) == 20
    assert_per_stream_order(records_of(streams), dict.fromkeys(streams, 5))


@pytest.mark.django_db(transaction=True)
def test_max_passes_bounds_one_call_and_the_rest_stays_pending():
    stream = str(uuid.uuid4())
    EventStore(LAB).append("Tally", stream, 0, [opened(stream)] + [added(stream, n) for n in range(1, 6)])

    assert relay_pending(LAB, batch_size=2, max_passes=2) == 4
    assert len(pending_positions([stream])) == 2
    assert relay_pending(LAB, batch_size=2) == 2
    assert not pending_positions([stream])


@pytest.mark.django_db(transaction=True)
def test_manage_py_relay_outbox_publishes_and_says_how_many():
    stream = str(uuid.uuid4())
    EventStore(LAB).append("Tally", stream, 0, [opened(stream)] + [added(stream, n) for n in range(1, 4)])
    out = io.StringIO()

    call_command("relay_outbox", "--context", LAB, "--once", "--batch-size", "3", stdout=out)
    assert "lab: published 3" in out.getvalue()
    assert len(pending_positions([stream])) == 1

    out = io.StringIO()
    call_command("relay_outbox", stdout=out)
    assert "lab: published 1" in out.getvalue() and "published 1 event(s)" in out.getvalue()
    assert not pending_positions([stream])


def test_full_mode_queues_no_relay_task_the_commit_notifies_postgresql(settings):
    """One wake-up path: an append in full mode sends nothing to Celery; the commit's NOTIFY
    (trigger of migration 0005) is what wakes the relay in the context's worker."""
    from pos_project.celery import app

    assert settings.CELERY_TASK_ALWAYS_EAGER is False  # full mode, as the tests run
    assert not [name for name in app.tasks if "outbox" in name]
    assert not [entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if "outbox" in entry["task"]]


# --- full mode: a real Celery worker hosts the relay ----------------------------------------
SWEEP_SECONDS = 1.0


def relay_worker_process(services_env, *extra: str, name: str = "celery-relay-worker") -> ManagedProcess:
    """`celery -A pos_project worker --relay lab --consume none`: the lab context's relay, woken by
    PostgreSQL NOTIFY, on this test's database and topic prefix."""
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    nodename = f"relay-test-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    return ManagedProcess(name, [
        venv_bin("celery"), "-A", "pos_project", "worker", "--pool", "threads", "--concurrency", "1",
        "--relay", LAB, "--consume", "none", "-n", nodename, "--loglevel", "INFO", "--without-gossip", "--without-mingle",
        "--without-heartbeat", *extra,
    ], child_env({**services_env, "DATABASE_URL": database_url, "DATABASE_CONN_MAX_AGE": "0",
                  "POS_RELAY_SWEEP_SECONDS": str(SWEEP_SECONDS), "PYTHONUNBUFFERED": "1"}), stop_timeout=15)


def wait_ready(process: ManagedProcess) -> None:
    def ready():
        process.assert_running()
        return " ready." in process.log_text() and "relay listener: listening" in process.log_text()

    wait_until(ready, timeout=60, interval=0.2, message=f"the Celery worker to be ready (log {process.log_path})")


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_relays_each_commit_and_what_was_committed_before_it_started(services_env):
    early = str(uuid.uuid4())
    [before] = EventStore(LAB).append("Tally", early, 0, [opened(early)])  # nobody listens yet
    with relay_worker_process(services_env) as worker:
        wait_ready(worker)

        def published(stream):
            worker.assert_running()
            return not pending_positions([stream])

        # Committed before the worker listened: its first pass after LISTEN takes it.
        wait_until(lambda: published(early), timeout=30, interval=0.2, message=f"the catch-up pass ({worker.log_path})")
        stream = str(uuid.uuid4())
        [after] = EventStore(LAB).append("Tally", stream, 0, [opened(stream)])
        wait_until(lambda: published(stream), timeout=30, interval=0.1, message=f"the NOTIFY relay ({worker.log_path})")
    assert [event_id(r) for r in records_of([early])] == [before.event_id]
    assert [event_id(r) for r in records_of([stream])] == [after.event_id]


# --- Redis down: nothing on the write or relay path needs it -----------------------------------
@pytest.mark.disruptive
@pytest.mark.django_db(transaction=True)
def test_with_redis_down_writes_commit_and_the_worker_still_relays(services_env):
    stream = str(uuid.uuid4())
    with relay_worker_process(services_env, name="celery-relay-redis-down") as worker:
        wait_ready(worker)
        services("stop", "redis")
        try:
            envelopes = [EventStore(LAB).append("Tally", stream, 0, [opened(stream)])[0]]
            envelopes += [EventStore(LAB).append("Tally", stream, n, [added(stream, n)])[0] for n in (1, 2)]
            wait_until(lambda: worker.assert_running() or not pending_positions([stream]), timeout=30,
                       interval=0.2, message=f"the relay to publish with Redis down ({worker.log_path})")
        finally:
            services("start", "redis")
        worker.assert_running()
    assert [event_id(r) for r in records_of([stream])] == [e.event_id for e in envelopes]
    assert_per_stream_order(records_of([stream]), {stream: 3})


# --- (c) embedded mode: the relay hands events to the consumers in-process ---------------------
@dataclass(frozen=True)
class OpenTally:
    tally_id: str
    name: str


@handles(OpenTally, context=LAB)
def open_tally(cmd: OpenTally, uow):
    tallies = uow.repository(Tally)
    tally = tallies.get_or_new(cmd.tally_id)
    tally.open(cmd.name)
    tallies.save(tally)
    return tally.version


class RelayProbe(registry.Subscriber):
    """Records what the lab consumer receives."""

    name = "relay-probe"
    consumer = LAB
    subscriptions = {LAB: {"TallyOpened", "ItemAdded"}}  # noqa: RUF012 - as registry.Subscriber declares it

    def __init__(self):
        self.received: list[Envelope] = []
        self.relaying_seen: list[bool] = []

    def handle(self, envelopes):
        self.received.extend(envelopes)
        self.relaying_seen.extend(LAB in relay._relaying() for _ in envelopes)


@pytest.fixture
def relay_probe():
    probe = RelayProbe()
    registry.register(probe)
    yield probe
    registry.unregister(LAB, probe.name)


@pytest.mark.django_db(transaction=True)
@override_settings(KAFKA_ENABLED=False, CELERY_TASK_ALWAYS_EAGER=True)
def test_embedded_mode_a_commit_relays_in_process_including_what_a_policy_writes(relay_probe):
    stream = str(uuid.uuid4())

    # Its commit kicks the relay, eagerly, right here. The lab's AutoFill policy reacts to an
    # "auto-" tally with a command; that command commits inside the relay's own pass, and its kick
    # finds the relay of `lab` already running in this thread: it makes the relay loop once more
    # instead of nesting.
    execute(OpenTally(stream, f"{AUTO_PREFIX}embedded"))

    assert [(e.stream_id, e.event_type, e.version) for e in relay_probe.received] == [
        (stream, "TallyOpened", 1), (stream, "ItemAdded", 2)]
    assert relay_probe.received[1].data["item"] == AUTO_ITEM
    assert all(relay_probe.relaying_seen)  # delivered by the relay, not by some other path
    assert relay._relaying() == {}
    assert not pending_positions([stream])
    ids = [e.event_id for e in EventStore(LAB).load(stream)]
    assert len(ids) == 2
    assert set(InboxEvent.objects.filter(consumer=LAB, event_id__in=ids).values_list("event_id", flat=True)) == set(ids)
    total = TallyTotal.objects.get(pk=stream)  # the lab's own projection saw both, too
    assert (total.name, total.quantity, total.events) == (f"{AUTO_PREFIX}embedded", 1, 2)

    # Delivered again (as after a crash between dispatch and mark): the inbox drops the repeats,
    # and the policy does not run a second time.
    OutboxEntry.objects.filter(stream_id=stream).update(published_at=None)
    assert relay_pending(LAB) == 2
    assert len(relay_probe.received) == 2
    assert len(EventStore(LAB).load(stream)) == 2
    assert TallyTotal.objects.get(pk=stream).events == 2


@pytest.mark.django_db(transaction=True)
@override_settings(KAFKA_ENABLED=False, CELERY_TASK_ALWAYS_EAGER=True)
def test_embedded_mode_a_failing_dispatch_leaves_the_events_pending_and_the_writer_unharmed(monkeypatch):
    # `deliver` isolates an event a subscriber keeps failing on (it is recorded DEAD); what does
    # propagate is database trouble. Stand in for that by making the dispatch itself raise.
    from infrastructure.consumers import local

    def dispatch_fails(envelopes):
        raise ConnectionError("consumer database went away")

    monkeypatch.setattr(local, "dispatch_locally", dispatch_fails)
    stream = str(uuid.uuid4())

    [envelope] = EventStore(LAB).append("Tally", stream, 0, [opened(stream)])  # must not raise

    entry = OutboxEntry.objects.get(position=envelope.position)
    assert entry.published_at is None
    assert entry.attempts == 1 and "ConnectionError: consumer database went away" in entry.last_error
    assert relay._relaying() == {}

    monkeypatch.undo()  # the consumers are back: the next relay delivers it
    assert relay_pending(LAB) == 1
    assert not pending_positions([stream])


def test_a_relay_pass_travels_in_one_producer_batch_per_partition():
    """A partition's records of one pass are written or refused together (see relay.py, per-stream
    order): the producer's batch holds a whole pass of events of up to 4 KiB, and a request holds
    the batch."""
    from infrastructure.kafka import clients

    producer = clients.producer()
    assert producer.config["batch_size"] == clients.PRODUCER_BATCH_BYTES
    assert relay.DEFAULT_BATCH_SIZE * 4096 <= clients.PRODUCER_BATCH_BYTES < producer.config["max_request_size"]
    assert producer.config["max_in_flight_requests_per_connection"] == 1 and producer.config["acks"] == -1
