"""FerretDB on its PostgreSQL backend, as scripts/services runs it: the backend is remembered
across a kill and a start that do not name it, and the audit questions are served by the GIN
twins of the archive's indexes (services/ferretdb/postgresql.sql), not by scanning its table.

Disruptive: it switches the FerretDB under test to PostgreSQL and back to the backend it found."""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid

import psycopg
import pytest
from django.db import OperationalError
from django.utils import timezone

from contexts.audit import archive
from contexts.audit.search import AuditQuery, search
from infrastructure.eventstore.envelope import Envelope
from tests.helpers import services, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.disruptive]


def _backend() -> str:
    line = next(line for line in services("status", check=False).stdout.splitlines() if line.startswith("ferretdb"))
    found = re.search(r"backend (\w+)", line)
    assert found, line
    return found.group(1)


@pytest.fixture
def on_postgresql(settings):
    """FerretDB restarted on PostgreSQL, with an archive database of this test's own; at the end,
    the archive dropped and FerretDB back on the backend it had."""
    before = _backend()
    services("restart", "ferretdb", env={"POS_FERRETDB_HANDLER": "postgresql"})
    settings.MONGODB_DATABASE = f"test_audit_pg_{uuid.uuid4().hex[:8]}"
    yield settings.MONGODB_DATABASE
    try:
        archive.drop_database()
    finally:
        services("restart", "ferretdb", env={"POS_FERRETDB_HANDLER": before})


def _index_scans(schema: str) -> dict[str, int]:
    """idx_scan of every index of the archive's tables, by index name (FerretDB's database is a
    schema of the app database, DATABASE_URL's)."""
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection:
        rows = connection.execute("SELECT indexrelname, idx_scan FROM pg_stat_user_indexes WHERE schemaname = %s",
                                  [schema]).fetchall()
    return dict(rows)


def _tables(connection, schema: str) -> list[str]:
    """The collection `events`' table (FerretDB names it events_<hash>)."""
    return [name for (name,) in connection.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename LIKE 'events\\_%%'", [schema])]


def _answer(query: AuditQuery) -> list[str]:
    return [entry["event_id"] for entry in search(query, page_size=500).results]


def test_the_backend_is_remembered_and_questions_use_the_gin_twins(on_postgresql):
    now = timezone.now()
    # Enough events (over 3 days), and a rare till, for PostgreSQL to prefer an index to a scan.
    envelopes = [Envelope(event_id=uuid.uuid4(), source_context="sales", stream_type="Order", stream_id=f"o-{i}",
                          version=1, event_type="OrderPlaced", schema_version=1,
                          data={"till_id": "rare" if i % 300 == 7 else f"till-{i % 5}", "cashier": "c-1", "total": "1.00"},
                          metadata={}, recorded_at=now - dt.timedelta(minutes=i)) for i in range(3000)]
    assert archive.append(envelopes) == len(envelopes)
    schema = on_postgresql
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection:
        connection.execute(f'ANALYZE "{schema}".{next(iter(_tables(connection, schema)))}')
    scans = _index_scans(schema)
    twins = {name: next((index for index in scans if re.fullmatch(rf"events_\w+_{name}_\w+_idx_gin", index)), None)
             for name in ("till", "actor", "store", "type", "day", "hour", "stream_version", "correlation", "sku")}
    assert None not in twins.values(), (twins, sorted(scans))

    query = AuditQuery(till="rare")
    expected = sorted((e for e in envelopes if e.data["till_id"] == "rare"), key=lambda e: e.recorded_at)
    assert _answer(query) == [str(e.event_id) for e in expected]
    # PostgreSQL publishes a session's index counters when it is idle, at most every few seconds.
    wait_until(lambda: _index_scans(schema)[twins["till"]] > scans[twins["till"]], timeout=30, interval=0.5,
               message="the question to be served by the till index's GIN twin")

    services("kill", "ferretdb")
    services("start", "ferretdb", env={"POS_FERRETDB_HANDLER": None, "POS_FERRETDB_POSTGRESQL_URL": None})
    assert _backend() == "postgresql"
    answer = wait_until(lambda: _answer(query), timeout=30, interval=0.5, ignore=(OperationalError,),
                        message="the archive on PostgreSQL to answer again after the restart")
    assert answer == [str(e.event_id) for e in expected]
