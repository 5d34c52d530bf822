"""The event store on real PostgreSQL: round trips, optimistic concurrency (including two
sessions racing for the same version), the database-level append-only guard, the repository and
the command bus with its conflict retry."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from infrastructure.aggregates.repository import Repository
from infrastructure.commands.bus import execute, handles
from infrastructure.commands.metadata import Metadata
from kernel.errors import ConcurrencyConflict, NotFound
from kernel.events import DomainEvent
from infrastructure.eventstore.models import StoredEvent
from infrastructure.eventstore.store import EventStore
from infrastructure.outbox.models import OutboxEntry
from tests.helpers import wait_until
from tests.lab.domain import ItemAdded, Tally, TallyOpened

pytestmark = pytest.mark.integration

# A context of its own for the probe event below, so the lab context's event contracts (and any
# test that lists them) stay exactly what tests/lab defines.
PROBE = "storeprobe"
THREAD_TIMEOUT_S = 30


@dataclass(frozen=True)
class ProbeRecorded(DomainEvent, context=PROBE):
    probe_id: uuid.UUID
    amount: Decimal
    at: dt.datetime
    on: dt.date
    tags: tuple[str, ...]
    note: str | None = None


def new_stream() -> str:
    return str(uuid.uuid4())


def opened(stream: str, name: str = "t") -> TallyOpened:
    return TallyOpened(tally_id=stream, name=name)


def added(stream: str, item: str = "apple", quantity: int = 1) -> ItemAdded:
    return ItemAdded(tally_id=stream, item=item, quantity=quantity, amount=Decimal("1.50"))


def run_thread(target, name: str) -> tuple[threading.Thread, dict]:
    """Start `target()` in a thread with its own DB connection (closed at thread end); the dict
    receives its result or error."""
    outcome: dict = {}

    def body():
        try:
            outcome["result"] = target()
        except BaseException as exc:  # noqa: BLE001 - reported to the test, which asserts on it
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=body, name=name, daemon=True)
    thread.start()
    return thread, outcome


def join_all(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.join(THREAD_TIMEOUT_S)
    alive = [t.name for t in threads if t.is_alive()]
    assert not alive, f"threads still running after {THREAD_TIMEOUT_S}s: {alive}"


# --- append / load ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_append_and_load_round_trip_decimal_uuid_datetime_and_metadata():
    store = EventStore(PROBE)
    stream = new_stream()
    event = ProbeRecorded(probe_id=uuid.uuid4(), amount=Decimal("1234.50"),
                          at=dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC),
                          on=dt.date(2026, 3, 1), tags=("a", "b"))
    metadata = Metadata.new(user="alice", till="till-7", request_id="req-1").as_dict()

    appended = store.append("Probe", stream, 0, [event], metadata)

    loaded = store.load(stream)
    assert [e.event_id for e in loaded] == [appended[0].event_id]
    envelope = loaded[0]
    assert (envelope.source_context, envelope.stream_type, envelope.stream_id, envelope.version) == (
        PROBE, "Probe", stream, 1)
    assert envelope.event_type == "ProbeRecorded" and envelope.schema_version == 1
    assert envelope.data == {"probe_id": str(event.probe_id), "amount": "1234.50",
                             "at": "2026-03-01T12:30:15.123456Z", "on": "2026-03-01", "tags": ["a", "b"],
                             "note": None}
    back = envelope.to_event()
    assert back == event
    assert isinstance(back.amount, Decimal) and isinstance(back.probe_id, uuid.UUID)
    assert back.at.utcoffset() == dt.timedelta(0)
    assert envelope.metadata == metadata and envelope.metadata["user"] == "alice"
    assert envelope.position == appended[0].position
    assert store.current_version(stream) == 1
    # Its outbox row was written with it, pending.
    outbox = OutboxEntry.objects.get(position=envelope.position)
    assert (outbox.context, outbox.stream_id, outbox.published_at) == (PROBE, stream, None)


@pytest.mark.django_db
def test_versions_continue_and_load_after_a_version():
    store = EventStore("lab")
    stream = new_stream()
    store.append("Tally", stream, 0, [opened(stream), added(stream, "a")])
    store.append("Tally", stream, 2, [added(stream, "b"), added(stream, "c")])

    assert [e.version for e in store.load(stream)] == [1, 2, 3, 4]
    assert [e.data["item"] for e in store.load(stream, after_version=2)] == ["b", "c"]
    positions = [e.position for e in store.load(stream)]
    assert positions == sorted(positions)
    assert store.current_version(stream) == 4
    assert store.current_version(new_stream()) == 0


@pytest.mark.django_db
def test_appending_with_a_stale_expected_version_is_a_conflict_and_writes_nothing():
    store = EventStore("lab")
    stream = new_stream()
    store.append("Tally", stream, 0, [opened(stream)])
    store.append("Tally", stream, 1, [added(stream)])

    with pytest.raises(ConcurrencyConflict):
        store.append("Tally", stream, 1, [added(stream, "late")])

    assert [e.version for e in store.load(stream)] == [1, 2]
    assert "late" not in [e.data.get("item") for e in store.load(stream)]
    assert OutboxEntry.objects.filter(stream_id=stream).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("expected", [2, 7])
def test_appending_beyond_the_end_of_the_stream_is_a_conflict(expected):
    store = EventStore("lab")
    stream = new_stream()
    store.append("Tally", stream, 0, [opened(stream)])

    with pytest.raises(ConcurrencyConflict):
        store.append("Tally", stream, expected, [added(stream)])
    with pytest.raises(ConcurrencyConflict):
        store.append("Tally", new_stream(), expected, [added(stream)])  # an empty stream has no version 2 or 7

    assert [e.version for e in store.load(stream)] == [1]


@pytest.mark.django_db
def test_appending_nothing_is_a_no_op():
    assert EventStore("lab").append("Tally", new_stream(), 0, []) == []


# --- round trips ------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_an_append_is_one_statement_with_its_outbox_rows():
    store = EventStore("lab")
    stream = new_stream()
    store.append("Tally", stream, 0, [opened(stream)])

    with CaptureQueriesContext(connection) as queries:
        appended = store.append("Tally", stream, 1, [added(stream, "a"), added(stream, "b")])

    # On its own it opens its transaction (as the command bus does around it): one statement inside.
    sql = [q["sql"].strip().split()[0] for q in queries.captured_queries]
    assert sql == ["BEGIN", "WITH", "COMMIT"], [q["sql"][:80] for q in queries.captured_queries]
    events = store.load(stream)
    assert [e.version for e in events] == [1, 2, 3]
    assert [e.position for e in events[1:]] == [e.position for e in appended]
    assert events[1].position < events[2].position  # position order is version order
    assert sorted(OutboxEntry.objects.filter(stream_id=stream).values_list("position", flat=True)) == [
        e.position for e in events]


@pytest.mark.django_db(transaction=True)
def test_a_conflict_without_savepoint_dooms_the_surrounding_transaction():
    """`savepoint=False` (the command bus): the conflict leaves nothing written, and the
    transaction cannot be used by mistake afterwards."""
    store = EventStore("lab")
    stream = new_stream()
    store.append("Tally", stream, 0, [opened(stream)])
    store.append("Tally", stream, 1, [added(stream)])

    with transaction.atomic():
        with pytest.raises(ConcurrencyConflict):
            store.append("Tally", stream, 1, [added(stream, "late")], savepoint=False)
        with pytest.raises(TransactionManagementError):
            store.load(stream)

    assert [e.version for e in store.load(stream)] == [1, 2]
    assert OutboxEntry.objects.filter(stream_id=stream).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_bus_appends_without_savepoints(interference):
    stream = open_tally()

    with CaptureQueriesContext(connection) as queries:
        execute(AddToTally(stream, "apple", 2))

    statements = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in statements if "SAVEPOINT" in s.upper()], statements
    assert sum("INSERT INTO es_event" in s for s in statements) == 1, statements


# --- two sessions racing for the same version ------------------------------------------------
def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def waiting_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return bool(row) and row[0] == "Lock"


@pytest.mark.django_db(transaction=True)
def test_two_sessions_racing_with_the_same_expected_version_exactly_one_wins():
    """Deterministic overlap: A inserts version 2 and holds its transaction open; B tries version 2
    too and is seen blocked on A's row by PostgreSQL; A commits; B must end in ConcurrencyConflict."""
    store = EventStore("lab")
    stream = new_stream()
    store.append("Tally", stream, 0, [opened(stream)])
    a_appended, a_commit, b_pid = threading.Event(), threading.Event(), {}

    def writer_a():
        with transaction.atomic():
            envelopes = EventStore("lab").append("Tally", stream, 1, [added(stream, "from-a")])
            a_appended.set()
            assert a_commit.wait(THREAD_TIMEOUT_S), "never told to commit"
        return envelopes

    def writer_b():
        assert a_appended.wait(THREAD_TIMEOUT_S), "A never appended"
        b_pid["pid"] = backend_pid()
        return EventStore("lab").append("Tally", stream, 1, [added(stream, "from-b")])

    thread_a, outcome_a = run_thread(writer_a, "writer-a")
    thread_b, outcome_b = run_thread(writer_b, "writer-b")
    try:
        wait_until(lambda: "pid" in b_pid and waiting_on_a_lock(b_pid["pid"]), timeout=15,
                   message="B to block on A's uncommitted version 2")
    finally:
        a_commit.set()
        join_all(thread_a, thread_b)

    assert "error" not in outcome_a, outcome_a.get("error")
    assert isinstance(outcome_b.get("error"), ConcurrencyConflict), outcome_b
    events = store.load(stream)
    assert [e.version for e in events] == [1, 2]  # no gap
    assert events[1].event_id == outcome_a["result"][0].event_id and events[1].data["item"] == "from-a"
    assert OutboxEntry.objects.filter(stream_id=stream).count() == 2  # the loser left no outbox row


@pytest.mark.django_db(transaction=True)
def test_many_writers_released_together_on_one_version_one_wins_the_rest_conflict():
    store = EventStore("lab")
    stream = new_stream()
    store.append("Tally", stream, 0, [opened(stream)])
    writers = 6
    barrier = threading.Barrier(writers, timeout=THREAD_TIMEOUT_S)

    def writer(n):
        def append():
            barrier.wait()
            return EventStore("lab").append("Tally", stream, 1, [added(stream, f"w{n}")])
        return append

    started = [run_thread(writer(n), f"writer-{n}") for n in range(writers)]
    join_all(*(t for t, _ in started))

    outcomes = [o for _, o in started]
    winners = [o["result"][0] for o in outcomes if "result" in o]
    losers = [o["error"] for o in outcomes if "error" in o]
    assert len(winners) == 1, outcomes
    assert len(losers) == writers - 1 and all(isinstance(e, ConcurrencyConflict) for e in losers), losers
    events = store.load(stream)
    assert [e.version for e in events] == [1, 2]
    assert events[1].event_id == winners[0].event_id  # the winner's event, not lost, not doubled


# --- append-only at the database level --------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("statement", [
    "UPDATE es_event SET event_type = 'Rewritten' WHERE stream_id = %s",
    "UPDATE es_event SET data = '{}'::jsonb WHERE stream_id = %s",
    "DELETE FROM es_event WHERE stream_id = %s",
])
def test_the_event_table_refuses_update_and_delete_in_postgresql(statement):
    assert connection.vendor == "postgresql"
    store = EventStore("lab")
    stream = new_stream()
    store.append("Tally", stream, 0, [opened(stream, "original")])

    # The savepoint (atomic) keeps the test's own transaction usable after the error.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [stream])

    [event] = store.load(stream)
    assert (event.event_type, event.data["name"]) == ("TallyOpened", "original")


@pytest.mark.django_db
def test_the_model_refuses_update_and_delete_too():
    stream = new_stream()
    EventStore("lab").append("Tally", stream, 0, [opened(stream)])
    row = StoredEvent.objects.get(stream_id=stream)

    with pytest.raises(TypeError):
        row.save()
    with pytest.raises(TypeError):
        row.delete()


# --- repository -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_repository_saves_and_loads_a_tally():
    repo = Repository(Tally, {"user": "bob"})
    stream = new_stream()
    tally = repo.get_or_new(stream)
    assert not tally.exists
    tally.open("Shelf 3")
    tally.add("apple", 3, Decimal("0.99"))
    tally.add("pear", 1)
    recorded = repo.save(tally)
    assert [e.version for e in recorded] == [1, 2, 3]
    assert tally.pending_events == ()

    again = repo.get(stream)
    again.remove("apple", 2)
    repo.save(again)

    loaded = Repository(Tally).get(stream)
    assert (loaded.name, loaded.items, loaded.version) == ("Shelf 3", {"apple": 1, "pear": 1}, 4)
    assert all(e.metadata == {"user": "bob"} for e in EventStore("lab").load(stream))
    with pytest.raises(NotFound):
        Repository(Tally).get(new_stream())


@pytest.mark.django_db
def test_repository_save_from_a_stale_copy_is_a_conflict():
    repo = Repository(Tally)
    stream = new_stream()
    tally = repo.get_or_new(stream)
    tally.open("x")
    repo.save(tally)
    first, second = repo.get(stream), repo.get(stream)
    first.add("a", 1)
    repo.save(first)
    second.add("b", 1)

    with pytest.raises(ConcurrencyConflict):
        repo.save(second)
    assert repo.get(stream).items == {"a": 1}


# --- command bus ------------------------------------------------------------------------------
@dataclass(frozen=True)
class AddToTally:
    tally_id: str
    item: str
    quantity: int


@dataclass(frozen=True)
class AddToTallyOnce:
    tally_id: str
    item: str
    quantity: int


# Per-test hooks the handlers call between loading and saving (to let another writer in).
_interference: dict = {}


def _add(cmd, uow):
    tallies = uow.repository(Tally)
    tally = tallies.get(cmd.tally_id)
    _interference.setdefault("calls", []).append(tally.version)
    hook = _interference.pop("before_save", None)
    if hook is not None:
        hook()
    tally.add(cmd.item, cmd.quantity)
    tallies.save(tally)
    return {"id": tally.id, "version": tally.version}


@handles(AddToTally, context="lab", retry_on_conflict=True)
def add_to_tally(cmd: AddToTally, uow):
    return _add(cmd, uow)


@handles(AddToTallyOnce, context="lab")
def add_to_tally_once(cmd: AddToTallyOnce, uow):
    return _add(cmd, uow)


@pytest.fixture
def interference():
    _interference.clear()
    yield _interference
    _interference.clear()


def open_tally() -> str:
    stream = new_stream()
    repo = Repository(Tally)
    tally = repo.get_or_new(stream)
    tally.open("bus")
    repo.save(tally)
    return stream


def another_writer_adds(stream: str, item: str):
    """Commit an ItemAdded to `stream` from another session, now (while the handler's transaction is open)."""
    def write():
        repo = Repository(Tally)
        tally = repo.get(stream)
        tally.add(item, 1)
        repo.save(tally)

    thread, outcome = run_thread(write, "other-writer")
    join_all(thread)
    assert "error" not in outcome, outcome.get("error")


@pytest.mark.django_db(transaction=True)
def test_the_bus_runs_the_handler_in_one_transaction_with_the_metadata(interference):
    stream = open_tally()
    metadata = Metadata.new(user="carol", till="till-1")

    result = execute(AddToTally(stream, "apple", 2), metadata)

    assert result == {"id": stream, "version": 2}
    last = EventStore("lab").load(stream)[-1]
    assert (last.event_type, last.data["quantity"], last.metadata) == ("ItemAdded", 2, metadata.as_dict())
    assert interference["calls"] == [1]


@pytest.mark.django_db(transaction=True)
def test_the_bus_retries_a_handler_marked_retry_on_conflict_with_a_fresh_load(interference):
    stream = open_tally()
    interference["before_save"] = lambda: another_writer_adds(stream, "pear")

    result = execute(AddToTally(stream, "apple", 2))

    assert interference["calls"] == [1, 2]  # the second attempt loaded the other writer's event
    assert result == {"id": stream, "version": 3}
    assert [(e.version, e.data.get("item")) for e in EventStore("lab").load(stream)] == [
        (1, None), (2, "pear"), (3, "apple")]


@pytest.mark.django_db(transaction=True)
def test_the_bus_hands_the_conflict_to_the_caller_without_retry_on_conflict(interference):
    stream = open_tally()
    interference["before_save"] = lambda: another_writer_adds(stream, "pear")

    with pytest.raises(ConcurrencyConflict):
        execute(AddToTallyOnce(stream, "apple", 2))

    assert interference["calls"] == [1]
    assert [e.data.get("item") for e in EventStore("lab").load(stream)] == [None, "pear"]


@pytest.mark.django_db(transaction=True)
def test_the_bus_gives_up_after_its_retries(interference):
    stream = open_tally()
    items = iter(["x1", "x2", "x3", "x4"])

    def interfere_every_time():
        another_writer_adds(stream, next(items))
        interference["before_save"] = interfere_every_time

    interference["before_save"] = interfere_every_time

    with pytest.raises(ConcurrencyConflict):
        execute(AddToTally(stream, "apple", 1))

    from infrastructure.commands.bus import CONFLICT_RETRIES

    assert len(interference["calls"]) == CONFLICT_RETRIES
    assert "apple" not in [e.data.get("item") for e in EventStore("lab").load(stream)]
