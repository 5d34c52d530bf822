"""The event archive: the `events` collection of a MongoDB-wire database (FerretDB in this
project), reached with pymongo at `MONGODB_URL` (its database: `MONGODB_DATABASE`, else the
one the URL names, else `pos`).

    append(envelopes)   archive events, oldest first: one document each, idempotent by event id
    events()            the collection to write to, its indexes made (once per process)
    collection()        the collection to read
    days()              {UTC day: its mark} for every day the archive holds events of (`days`)
    counts()            the collection where the search keeps its counts per part (search.py)
    clear()             delete every document (a rebuild of the archive starts with it)

Idempotent and in order: the documents go in with one ordered `insertMany` per batch. The
event id is the document's `_id`, whose index is unique, so an event archived before (a Kafka
redelivery after a crash between this insert and the inbox commit, a rebuild) fails with a
duplicate-key error at its index: we skip that one document and insert the rest of the batch, in
order. There is no transaction across the archive and the inbox; the unique `_id` is what makes
"at least once" land as exactly one document.

The server being unreachable is infrastructure trouble, not the event's fault: it is raised as
Django's `OperationalError`, so the consumer rewinds its poll and tries again later (and the
embedded relay keeps its outbox rows pending) instead of burying the events as DEAD.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError
from django.utils import timezone
from pymongo import ASCENDING, IndexModel, MongoClient
from pymongo.errors import BulkWriteError, ConnectionFailure, DuplicateKeyError

from infrastructure.eventstore.envelope import Envelope

from .documents import document_of

COLLECTION = "events"
DAYS = "days"  # one document per UTC day the archive holds events of: {"_id": "2026-03-01", "mark": "..."}
COUNTS = "counts"  # the search's counts per part, valid while their day's mark is the same (search.py)
DUPLICATE_KEY = 11000
SERVER_SELECTION_TIMEOUT_MS = 5000

# One index per field a question asks for by equality; `_id` (the event id) is unique by nature.
# FerretDB 1.24 pushes only top-level equality down to its backend (never a range or a sort), so
# the time range is asked by `day`/`hour` buckets (search.py), and these are the fields that
# matter. On its PostgreSQL backend FerretDB makes each a B-tree on `_jsonb->'field'`, which its
# own pushdown (`_jsonb->'field' @> value`) cannot use: services/ferretdb/postgresql.sql gives
# every such index a GIN twin that it can (installed by scripts/services and docker-compose).
INDEXES = [
    IndexModel([("stream_id", ASCENDING), ("version", ASCENDING)], name="stream_version"),
    IndexModel([("actor", ASCENDING)], name="actor"),
    IndexModel([("till", ASCENDING)], name="till"),
    IndexModel([("store", ASCENDING)], name="store"),
    IndexModel([("event_type", ASCENDING)], name="type"),
    IndexModel([("correlation_id", ASCENDING)], name="correlation"),
    IndexModel([("sku", ASCENDING)], name="sku"),
    IndexModel([("day", ASCENDING)], name="day"),
    IndexModel([("hour", ASCENDING)], name="hour"),
]

_lock = threading.Lock()
_client: MongoClient | None = None
_indexed: set[tuple[str, str]] = set()


def enabled() -> bool:
    return bool(settings.MONGODB_URL)


def client() -> MongoClient:
    """The process's client (pymongo pools connections and is thread-safe). Made on first use, so
    a process that forks (gunicorn, Celery) never shares one across the fork."""
    global _client
    with _lock:
        if _client is None:
            _client = MongoClient(settings.MONGODB_URL, tz_aware=True, appname="pos-audit",
                                  serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS)
        return _client


def database_name() -> str:
    if settings.MONGODB_DATABASE:
        return settings.MONGODB_DATABASE
    default = client().get_default_database(default="pos")
    return default.name


def collection():
    """The `events` collection, to read (a missing collection reads as empty)."""
    return client()[database_name()][COLLECTION]


def events():
    """The `events` collection, to write: its indexes made first (once per process).

    Only the missing indexes are created: FerretDB 1.24 drops the connections of two
    `createIndexes` running at once on one collection (even when the indexes exist). Two
    processes starting on a fresh archive may still meet that once; it surfaces as an
    OperationalError, and the retry finds the indexes made."""
    target = collection()
    key = (settings.MONGODB_URL, target.database.name)
    if key not in _indexed:
        with unavailable_as_operational_error():
            existing = set(target.index_information())
            missing = [index for index in INDEXES if index.document["name"] not in existing]
            if missing:
                target.create_indexes(missing)
        _indexed.add(key)
    return target


@contextmanager
def unavailable_as_operational_error():
    try:
        yield
    except ConnectionFailure as exc:  # includes AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError
        raise OperationalError(f"the audit archive (MONGODB_URL) is unreachable: {exc}") from exc


def append(envelopes: Sequence[Envelope]) -> int:
    """Archive `envelopes` in order; returns how many documents were new."""
    if not envelopes:
        return 0
    archived_at = timezone.now()
    documents = [document_of(envelope, archived_at) for envelope in envelopes]
    collection = events()
    start, inserted = 0, 0
    with unavailable_as_operational_error():
        while start < len(documents):
            try:
                inserted += len(collection.insert_many(documents[start:], ordered=True).inserted_ids)
                break
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors") or []
                if not errors or errors[0].get("code") != DUPLICATE_KEY:
                    raise
                # An ordered insert stops at its first error: documents before it went in.
                failed_at = start + errors[0]["index"]
                inserted += exc.details.get("nInserted", failed_at - start)
                start = failed_at + 1
        _record_days(sorted({document["day"] for document in documents}))
    return inserted


def _record_days(days: list[str]) -> None:
    """Give each of the batch's days a fresh mark, after its events went in (a redelivery does it
    again, so a crash between the two is mended by the redelivery): a count the search kept for a
    day is valid while the day's mark is the one it read before counting. A mark is a new random
    value, not a counter, so two writers at once cannot leave the mark a reader saw."""
    target = client()[database_name()][DAYS]
    for day in days:
        try:
            target.update_one({"_id": day}, {"$set": {"mark": uuid.uuid4().hex}}, upsert=True)
        except DuplicateKeyError:  # another writer made the day's document just now: mark it again
            target.update_one({"_id": day}, {"$set": {"mark": uuid.uuid4().hex}})


def days() -> dict[str, str]:
    with unavailable_as_operational_error():
        found = client()[database_name()][DAYS].find({})
        return {document["_id"]: document["mark"] for document in sorted(found, key=lambda d: d["_id"])}


def counts():
    return client()[database_name()][COUNTS]


def clear() -> None:
    with unavailable_as_operational_error():
        events().delete_many({})
        client()[database_name()][DAYS].delete_many({})
        counts().delete_many({})


def drop_database() -> None:
    """Delete the whole audit database (tests; a fresh archive)."""
    with unavailable_as_operational_error():
        client().drop_database(database_name())
    _indexed.discard((settings.MONGODB_URL, database_name()))

