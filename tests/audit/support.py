"""Shared set-up for the audit tests: a run's own archive database, and an oracle that answers an
audit question straight from the event table, in Python, the way a person would read it."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from infrastructure.eventstore.models import StoredEvent


@pytest.fixture
def audit_db(settings):
    """An archive database of this test's own in FerretDB, dropped at the end."""
    from contexts.audit import archive

    assert settings.MONGODB_URL, "MONGODB_URL is not set: run the tests with scripts/run-tests after scripts/services up"
    settings.MONGODB_DATABASE = f"test_audit_{uuid.uuid4().hex[:10]}"
    archive.events()  # its indexes made now, before any consumer process starts on it
    yield settings.MONGODB_DATABASE
    archive.drop_database()


def expected_ids(predicate: Callable[[StoredEvent], bool]) -> list[str]:
    """The ids of the stored events that satisfy `predicate`, oldest first (time, stream, version)."""
    rows = StoredEvent.objects.order_by("recorded_at", "stream_id", "version")
    return [str(row.event_id) for row in rows if predicate(row)]


def archived_ids() -> list[str]:
    from contexts.audit import archive

    return [doc["_id"] for doc in archive.collection().find({}, {"_id": 1})]


def stored_ids_by_context() -> dict[str, set[str]]:
    ids: dict[str, set[str]] = {}
    for context, event_id in StoredEvent.objects.values_list("context", "event_id"):
        ids.setdefault(context, set()).add(str(event_id))
    return ids


def archived_ids_by_context() -> dict[str, set[str]]:
    from contexts.audit import archive

    ids: dict[str, set[str]] = {}
    for doc in archive.collection().find({}, {"_id": 1, "context": 1}):
        ids.setdefault(doc["context"], set()).add(doc["_id"])
    return ids
