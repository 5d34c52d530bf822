"""The Kafka fault tests' fleet: the real processes of full mode (a Celery worker hosting the
relay, `manage.py consume_events` per context) on this test's database and topics,
SIGKILL, the consumer group's assignment, and the figures each test prints.

Every process runs in its own process group, logs to test-artifacts/, and is stopped by the
fixture that started it (also when the test fails). A process a test killed is replaced by a
new `ManagedProcess` (a new log file), so the killed one's log still shows what it did.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sys
import threading
import time
import uuid
from collections import defaultdict

import pytest
from django.conf import settings
from django.db import connection

from infrastructure.consumers.models import InboxEvent
from infrastructure.consumers.registry import source_contexts
from infrastructure.consumers.runner import group_id_for
from infrastructure.eventstore.models import StoredEvent
from infrastructure.kafka import clients
from tests.helpers import ManagedProcess, child_env, services, venv_bin, wait_until

START_TIMEOUT = 60.0
# One DEBUG line per poll delivered (runner._handle_poll, `consume_events --verbosity 3`).
BATCH_LINE = re.compile(r": (\d+) messages \([^)]*\): (\d+) applied, (\d+) duplicates")


# --- this test's own topics and database ----------------------------------------------------------
@pytest.fixture
def topic_prefix(settings, services_env) -> str:
    """Topics and consumer groups of this test only (the test process and its children use it)."""
    base = os.environ.get("KAFKA_TOPIC_PREFIX") or "pos-test"
    settings.KAFKA_TOPIC_PREFIX = f"{base}.{uuid.uuid4().hex[:10]}"
    return settings.KAFKA_TOPIC_PREFIX


def database_url_of_this_test() -> str:
    db = connection.settings_dict
    assert db["NAME"].startswith("test_"), db["NAME"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def process_env(services_env: dict, prefix: str) -> dict[str, str]:
    return child_env({**services_env, "DATABASE_URL": database_url_of_this_test(), "DATABASE_CONN_MAX_AGE": "0",
                      "KAFKA_TOPIC_PREFIX": prefix, "POS_RELAY_SWEEP_SECONDS": "1", "PYTHONUNBUFFERED": "1"})


# --- processes ----------------------------------------------------------------------------------
def sigkill(process: ManagedProcess) -> float:
    """SIGKILL the process's whole group (no clean shutdown, no offset commit, no task ack), reap
    it and close its log; returns the moment of the kill (time.monotonic())."""
    killed_at = time.monotonic()
    os.killpg(process.pid, signal.SIGKILL)
    process.proc.wait(timeout=10)
    process.stop()
    assert process.returncode == -signal.SIGKILL, process.returncode
    return killed_at


# A poll is one database transaction; a few records per poll make a backlog span several, so a
# SIGKILL can land between them (the production default, 500, would apply these backlogs at once).
MAX_RECORDS = 20


def consumer_process(context: str, env: dict, name: str | None = None) -> ManagedProcess:
    return ManagedProcess(name or f"consume-{context}",
                          [sys.executable, "manage.py", "consume_events", "--context", context, "--verbosity", "3",
                           "--max-records", str(MAX_RECORDS)], env, stop_timeout=15)


def relay_worker_process(env: dict) -> ManagedProcess:
    """The relay as in full mode: a Celery worker hosting the outbox relay of every context (woken
    by PostgreSQL NOTIFY, a pass every POS_RELAY_SWEEP_SECONDS), without consumers: the test runs
    those as `consume_events` processes of their own, to kill and count them one by one."""
    nodename = f"relay-fault-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    return ManagedProcess("celery-relay", [
        venv_bin("celery"), "-A", "pos_project", "worker", "--pool", "threads", "--concurrency", "1",
        "--consume", "none", "-n", nodename, "--loglevel", "INFO", "--without-gossip", "--without-mingle",
        "--without-heartbeat",
    ], env, stop_timeout=15)


def wait_worker_ready(worker: ManagedProcess) -> None:
    def ready():
        worker.assert_running()
        return " ready." in worker.log_text()

    wait_until(ready, timeout=START_TIMEOUT, interval=0.2, message=f"the Celery worker (log {worker.log_path})")


class Fleet:
    """The processes of one test by role; `replace(role)` starts a fresh one after a kill, and
    `stop_all()` (the fixture's finalizer) stops whatever is running."""

    def __init__(self, env: dict):
        self.env = env
        self.current: dict[str, ManagedProcess] = {}
        self.history: list[ManagedProcess] = []  # every process started, killed ones included

    def _new(self, role: str) -> ManagedProcess:
        if role == "relay":
            return relay_worker_process(self.env)
        # "consumer:<context>" or, for a second process of the same context, "consumer:<context>#2"
        context = role.removeprefix("consumer:").partition("#")[0]
        return consumer_process(context, self.env, name=re.sub(r"[:#]", "-", role))

    def start(self, role: str) -> ManagedProcess:
        process = self._new(role)
        self.current[role] = process
        self.history.append(process)
        process.start()
        return process

    def kill(self, role: str) -> float:
        return sigkill(self.current.pop(role))

    def pause(self, role: str) -> None:
        """SIGSTOP: the process holds still (a backlog builds up) until `resume`."""
        os.killpg(self.current[role].pid, signal.SIGSTOP)

    def resume(self, role: str) -> None:
        os.killpg(self.current[role].pid, signal.SIGCONT)

    def assert_running(self) -> None:
        for process in self.current.values():
            process.assert_running()

    def stop_all(self) -> None:
        processes = list(self.current.values())
        self.current.clear()
        for process in processes:
            if process.is_running():
                os.killpg(process.pid, signal.SIGCONT)  # a paused process could not act on SIGTERM
        # All at once: each waits for its own graceful exit, so teardown takes the slowest, not the sum.
        threads = [threading.Thread(target=p.stop, name=f"stop-{p.name}") for p in processes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def consumer_batches(self, context: str) -> tuple[int, int, int]:
        """(messages, applied, duplicates) summed over the batch lines of every `context` consumer
        process this test ran, killed ones included (a batch whose log line the kill cut off is
        not counted: the figures are a lower bound)."""
        counted = [batch_totals(p) for p in self.history if "consume_events" in p.cmd and p.cmd[4] == context]
        return tuple(sum(column) for column in zip(*counted)) if counted else (0, 0, 0)


def batch_totals(process: ManagedProcess) -> tuple[int, int, int]:
    """(messages, applied, duplicates) over the batch lines of one consumer process's log."""
    totals = [0, 0, 0]
    for match in BATCH_LINE.finditer(process.log_text()):
        for i in range(3):
            totals[i] += int(match.group(i + 1))
    return tuple(totals)


@pytest.fixture
def fleet(transactional_db, topic_prefix, services_env, tmp_path):
    """Processes on this test's database and topics, stopped at teardown (before the database is
    flushed: this fixture depends on `transactional_db`)."""
    clients.ensure_topics([f"{topic_prefix}.{c}.events" for c in ("catalog", "customers", "sales", "lab")])
    fleet = Fleet(process_env(services_env, topic_prefix))
    try:
        yield fleet
    finally:
        fleet.stop_all()


@pytest.fixture
def kafka_restarter():
    """Starts Kafka again at teardown if the test left it down (a failure half-way)."""
    yield
    if services("status", check=False).stdout.find("kafka     running") < 0:
        services("start", "kafka")


# --- Kafka: the group's assignment, records on a topic -----------------------------------------
def group_assignment(consumer: str) -> dict[str, list[tuple[str, int]]]:
    """member id -> the (topic, partition)s it holds, as the group coordinator reports them."""
    admin = clients.admin()
    try:
        described = admin.describe_groups([group_id_for(consumer)])[group_id_for(consumer)]
    finally:
        admin.close()
    members = {}
    for member in described.get("members", []):
        assignment = member.get("member_assignment")
        partitions = []
        if assignment:
            for part in (assignment.get("assigned_partitions") if isinstance(assignment, dict)
                         else assignment.assigned_partitions):
                topic, numbers = ((part["topic"], part["partitions"]) if isinstance(part, dict)
                                  else (part.topic, part.partitions))
                partitions += [(topic, n) for n in numbers]
        members[member["member_id"]] = sorted(partitions)
    return members


class TopicEnds:
    """How many records a topic holds (the sum of its partitions' end offsets), read quickly and
    often by a client of its own that joins no group."""

    def __init__(self, topic: str):
        from kafka import KafkaConsumer, TopicPartition

        self._consumer = KafkaConsumer(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS, group_id=None,
                                       enable_auto_commit=False, request_timeout_ms=10_000,
                                       bootstrap_timeout_ms=10_000)
        partitions = wait_until(lambda: self._consumer.partitions_for_topic(topic), timeout=30,
                                message=f"the partitions of {topic}")
        self._partitions = [TopicPartition(topic, p) for p in sorted(partitions)]

    def records(self) -> int:
        return sum(self._consumer.end_offsets(self._partitions).values())

    def close(self) -> None:
        self._consumer.close(autocommit=False)


# --- the database: events, inboxes, figures -------------------------------------------------------
def events_of(context: str):
    return StoredEvent.objects.filter(context=context).order_by("position")


def assert_every_consumer_has_every_event(consumers) -> dict[str, int]:
    """Each consumer's inbox holds exactly the events of every context it consumes from, each
    APPLIED once (the inbox is unique per (consumer, event)); returns inbox rows per consumer."""
    rows = {}
    for consumer in consumers:
        sources = sorted(source_contexts(consumer))
        published = set(StoredEvent.objects.filter(context__in=sources).values_list("event_id", flat=True))
        inbox = InboxEvent.objects.filter(consumer=consumer, source_context__in=sources)
        received = list(inbox.values_list("event_id", flat=True))
        assert len(received) == len(set(received))
        missing, extra = published - set(received), set(received) - published
        assert not missing and not extra, f"{consumer}: {len(missing)} events missing, {len(extra)} unknown"
        dead = inbox.exclude(status=InboxEvent.APPLIED).count()
        assert dead == 0, f"{consumer}: {dead} events not applied"
        rows[consumer] = len(received)
    return rows


def inbox_in_stream_order(consumer: str) -> dict[str, list[int]]:
    """stream -> versions in the order the consumer applied them (inbox id order)."""
    order = defaultdict(list)
    for stream, version in (InboxEvent.objects.filter(consumer=consumer).order_by("id")
                            .values_list("stream_id", "version")):
        order[stream].append(version)
    return dict(order)


def report(record_property, capsys, title: str, figures: dict) -> None:
    """Print the test's figures to the terminal (past pytest's capture) and attach them to the
    JUnit XML report."""
    for name, value in figures.items():
        record_property(name, value)
    with capsys.disabled():
        print(f"\n[reliability] {title}: {json.dumps(figures, default=str)}")


class Stopwatch:
    def __init__(self):
        self.started = time.monotonic()

    def __call__(self) -> float:
        return round(time.monotonic() - self.started, 2)
