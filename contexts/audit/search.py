"""Audit search: which events match a question, a page at a time, oldest first.

    page = search(AuditQuery(till="...", since=..., until=...), page=1, page_size=50)

One question, two places that answer it, the same answer:
- the archive (`MONGODB_URL` set): `count` and `find` on the `events` collection of the document
  database, on the fields each document lifts out of its event (documents.py), each with an
  index, asked in parts that FerretDB 1.24 can push down to its backend (below);
- the event table (embedded mode, or no archive configured): the same filters in SQL on the
  event store's rows (`es_event`), through the event store's model, which is infrastructure that
  every context shares, not another context's table.

The filters combine with AND. `sku` finds the product streams that ever carried that SKU
(`ProductCreated` / `ProductDetailsUpdated`) and matches their events, so "who changed the price
of SKU X" is `sku=X, event_types=[ProductPriceChanged]`. `amount_above` is strict (> amount),
on the event's total or amount (documents.py). Order: time, then stream, then version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from pymongo.errors import DuplicateKeyError

from infrastructure.eventstore.databases import db_for
from infrastructure.eventstore.models import StoredEvent

from . import archive
from .documents import cents, day_of, hour_of, iso_time, public_metadata
from .archiving import AUDIT

SKU_EVENTS = ("ProductCreated", "ProductDetailsUpdated")
CATALOG = "catalog"


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None
    till: str | None = None
    store: str | None = None
    stream: str | None = None
    sku: str | None = None
    context: str | None = None
    event_types: tuple[str, ...] = ()
    correlation_id: str | None = None
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive
    amount_above: Decimal | None = None


@dataclass(frozen=True)
class AuditPage:
    count: int
    page: int
    page_size: int
    source: str  # "archive" or "event-table"
    results: list[dict] = field(default_factory=list)

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.count


def search(query: AuditQuery, *, page: int = 1, page_size: int = 50) -> AuditPage:
    if archive.enabled():
        return _search_archive(query, page, page_size)
    return _search_event_table(query, page, page_size)


# --- the archive (document database) ----------------------------------------------------------------
# FerretDB 1.24 pushes only top-level equality on one value down to its backend (on PostgreSQL;
# on SQLite only `_id`): no range, no `$in`, no sort, no limit with a filter; whatever it fetches
# it decodes, filters, sorts and counts in Go, so a question costs the documents its equalities
# select. Where the server pushes equality down, a question is asked as parts that are each plain
# equalities: its time range as `day`/`hour` buckets (whole UTC days, the hours at either end;
# all the archive's days when no range is given), and its several types or streams one at a time.
# The parts are disjoint; a bucket's parts are merged, the buckets follow each other in time: a
# page reads only the buckets it falls in, the count is the sum of the parts' counts, each kept
# (collection `counts`) while its day is unchanged (the `days` collection's mark). Elsewhere
# (SQLite, where each part would be a scan; a real MongoDB, whose indexes serve ranges) the
# question is one filter.
MAX_ALTERNATIVES = 20  # more types x streams than this: one `$in` part, filtered by FerretDB itself
ORDER = [("time", 1), ("stream_id", 1), ("version", 1)]
_pushdown: set[tuple[str, str]] = set()


def time_buckets(since: dt.datetime, until: dt.datetime, days: list[str] | None = None) -> list[dict]:
    """[since, until) as bucket equalities, oldest first: `{"day": ...}` for every whole UTC day
    in it, `{"hour": ...}` for the hours at either end; only those of `days`, if given."""
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
    cursor = since.astimezone(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    end = until.astimezone(dt.timezone.utc)
    end_hour = end.replace(minute=0, second=0, microsecond=0)
    end_hour += hour if end > end_hour else dt.timedelta(0)  # the end of the hour `until` falls in
    held = None if days is None else set(days)
    if held is not None and held:  # no bucket before the first day held, nor after the last
        cursor = max(cursor, dt.datetime.fromisoformat(min(held)).replace(tzinfo=dt.timezone.utc))
        end = min(end, dt.datetime.fromisoformat(max(held)).replace(tzinfo=dt.timezone.utc) + day)
    buckets: list[dict] = []
    while cursor < end:
        whole_day = cursor.hour == 0 and cursor + day <= end_hour
        if held is None or day_of(cursor) in held:
            buckets.append({"day": day_of(cursor)} if whole_day else {"hour": hour_of(cursor)})
        cursor += day if whole_day else hour
    return buckets


def pushes_equality_down() -> bool:
    """Whether the archive's server hands an equality on a field to its backend (FerretDB on
    PostgreSQL: yes; on SQLite: only on `_id`; MongoDB's explain has no such answer). Asked with
    `explain` once per process and database (a missing collection answers no, so no is asked again)."""
    collection = archive.collection()
    key = (settings.MONGODB_URL, collection.database.name)
    if key not in _pushdown:
        if collection.find({"day": ""}).explain().get("filterPushdown") is not True:
            return False
        _pushdown.add(key)
    return True


def archive_parts(query: AuditQuery, days: list[str] | None) -> tuple[list[dict], list[dict]]:
    """(alternatives, buckets): the question's disjoint MongoDB filters, and the time buckets in
    order (`days`: the days the archive holds, when the server pushes equality down; else None,
    and the question is one filter in one bucket, `{}`). Each part is an alternative and a bucket."""
    where: dict = {}
    for name, path in (("actor", "actor"), ("till", "till"), ("store", "store"), ("stream", "stream_id"),
                       ("context", "context"), ("correlation_id", "correlation_id")):
        value = getattr(query, name)
        if value is not None:
            where[path] = value
    if query.since or query.until:
        # `time` is fixed-width RFC 3339 (documents.iso_time): string order is time order.
        where["time"] = {**({"$gte": iso_time(query.since)} if query.since else {}),
                         **({"$lt": iso_time(query.until)} if query.until else {})}
    if query.amount_above is not None:
        where["amount_cents"] = {"$gt": cents(query.amount_above)}
    streams: list[str | None] = [None]
    if query.sku is not None:
        streams = sorted(archive.collection().distinct("stream_id", {"sku": query.sku}))
        if query.stream is not None:
            streams = [query.stream] if query.stream in streams else []
        if not streams:
            return [], []
        where.pop("stream_id", None)
    types: list[str | None] = list(query.event_types) or [None]
    if days is not None and len(streams) * len(types) <= MAX_ALTERNATIVES:
        alternatives = [{**where, **({"stream_id": stream} if stream else {}), **({"event_type": kind} if kind else {})}
                        for stream in streams for kind in types]
    else:
        alternatives = [{**where, **({"stream_id": _one_of(streams)} if streams != [None] else {}),
                         **({"event_type": _one_of(types)} if types != [None] else {})}]
    if days is None:
        return alternatives, [{}]
    if not days:
        return alternatives, []
    since = query.since or dt.datetime.fromisoformat(days[0]).replace(tzinfo=dt.timezone.utc)
    until = query.until or dt.datetime.fromisoformat(days[-1]).replace(tzinfo=dt.timezone.utc) + dt.timedelta(days=1)
    return alternatives, time_buckets(since, until, days)


def _one_of(values) -> object:
    values = list(values)
    return values[0] if len(values) == 1 else {"$in": values}


def _counted(alternatives: list[dict], buckets: list[dict], marks: dict[str, str] | None) -> list[list[tuple[dict, int]]]:
    """Every part with its count, by bucket. Where the server pushes equality down (`marks`: each
    day's mark, read before counting) a part's count is kept in the `counts` collection (one
    document per question) and used again while its day's mark is unchanged: a page after the
    first, or the same question again, counts only the days written since."""
    collection = archive.collection()
    if marks is None:
        return [[(where, collection.count_documents(where)) for where in alternatives] for _ in buckets]
    key = hashlib.sha256(json.dumps(alternatives, sort_keys=True).encode()).hexdigest()
    kept = (archive.counts().find_one({"_id": key}) or {}).get("parts", {})
    fresh: dict[str, list] = {}
    counted = []
    for bucket in buckets:
        [(field, value)] = bucket.items()
        mark = marks[value[:10]]
        parts = []
        for i, alternative in enumerate(alternatives):
            name = f"{field}={value}/{i}"
            n, seen = kept.get(name, (None, None))
            if seen != mark:
                n = collection.count_documents({**alternative, **bucket})
            fresh[name] = [n, mark]
            parts.append(({**alternative, **bucket}, n))
        counted.append(parts)
    if fresh != kept:
        try:
            archive.counts().replace_one({"_id": key}, {"_id": key, "parts": fresh}, upsert=True)
        except DuplicateKeyError:  # another search kept this question's counts at the same moment
            pass
    return counted


def _search_archive(query: AuditQuery, page: int, page_size: int) -> AuditPage:
    with archive.unavailable_as_operational_error():
        collection = archive.collection()
        marks = archive.days() if pushes_equality_down() else None
        alternatives, buckets = archive_parts(query, None if marks is None else list(marks))
        counted = _counted(alternatives, buckets, marks)
        skip, wanted, docs = (page - 1) * page_size, page_size, []
        for bucket in counted:
            in_bucket = sum(count for _, count in bucket)
            if wanted == 0 or in_bucket == 0:
                continue
            if skip >= in_bucket:
                skip -= in_bucket
                continue
            asked = [where for where, count in bucket if count]
            if len(asked) == 1:
                merged = list(collection.find(asked[0]).sort(ORDER).skip(skip).limit(wanted))
            else:
                found = [list(collection.find(where).sort(ORDER).limit(skip + wanted)) for where in asked]
                merged = list(heapq.merge(*found, key=_order_of))[skip:skip + wanted]
            docs += merged
            skip, wanted = 0, wanted - len(merged)
        count = sum(count for bucket in counted for _, count in bucket)
    return AuditPage(count=count, page=page, page_size=page_size, source="archive",
                     results=[_entry_of_document(doc) for doc in docs])


def _order_of(doc: dict) -> tuple:
    return doc["time"], doc["stream_id"], doc["version"]


def _entry_of_document(doc: dict) -> dict:
    return {"event_id": doc["_id"], "recorded_at": dt.datetime.fromisoformat(doc["time"].replace("Z", "+00:00")),
            "context": doc["context"], "user": doc["metadata"].get("user"),
            "stream_type": doc["stream_type"], "stream_id": doc["stream_id"], "version": doc["version"],
            "event_type": doc["event_type"], "schema_version": doc["schema_version"], "type": doc["type"],
            "source": doc["source"], "actor": doc.get("actor"), "till": doc.get("till"), "store": doc.get("store"),
            "correlation_id": doc.get("correlation_id"), "causation_id": doc.get("causation_id"),
            "request_id": doc.get("request_id"), "data": doc["data"], "metadata": doc["metadata"]}


# --- the event table (embedded mode) -----------------------------------------------------------------
def _event_databases() -> list[tuple[str, list[str]]]:
    """(database alias, the contexts whose events it holds), for every publishing context."""
    by_db: dict[str, list[str]] = {}
    for context in settings.ALL_CONTEXTS:
        if context != AUDIT:
            by_db.setdefault(db_for(context), []).append(context)
    return sorted(by_db.items())


def _event_rows(db: str, contexts: list[str], query: AuditQuery):
    rows = StoredEvent.objects.using(db).filter(context__in=contexts)
    if query.actor is not None:
        rows = rows.filter(Q(metadata__user=query.actor) | (~Q(metadata__has_key="user") & Q(data__cashier=query.actor)))
    if query.till is not None:
        rows = rows.filter(Q(metadata__till=query.till) | (~Q(metadata__has_key="till") & Q(data__till_id=query.till)))
    if query.store is not None:
        rows = rows.filter(Q(data__store_code=query.store) | (~Q(data__has_key="store_code") & Q(metadata__store=query.store)))
    if query.stream is not None:
        rows = rows.filter(stream_id=query.stream)
    if query.context is not None:
        rows = rows.filter(context=query.context)
    if query.event_types:
        rows = rows.filter(event_type__in=query.event_types)
    if query.correlation_id is not None:
        rows = rows.filter(metadata__correlation_id=query.correlation_id)
    if query.since is not None:
        rows = rows.filter(recorded_at__gte=query.since)
    if query.until is not None:
        rows = rows.filter(recorded_at__lt=query.until)
    if query.amount_above is not None:
        money = DecimalField(max_digits=18, decimal_places=2)
        rows = rows.annotate(amount=Coalesce(Cast(KT("data__total"), money), Cast(KT("data__amount"), money))
                             ).filter(amount__gt=query.amount_above)
    if query.sku is not None:
        streams = (StoredEvent.objects.using(db).filter(context=CATALOG, event_type__in=SKU_EVENTS,
                                                          data__sku=query.sku).values("stream_id"))
        rows = rows.filter(stream_id__in=streams)
    return rows.order_by("recorded_at", "stream_id", "version")


def _search_event_table(query: AuditQuery, page: int, page_size: int) -> AuditPage:
    offset = (page - 1) * page_size
    count, streams = 0, []
    for db, contexts in _event_databases():
        rows = _event_rows(db, contexts, query)
        count += rows.count()
        streams.append(list(rows[:offset + page_size]))
    # Several databases (a context with a database of its own): merge their sorted pages.
    merged = heapq.merge(*streams, key=lambda row: (row.recorded_at, row.stream_id, row.version))
    chosen = list(merged)[offset:offset + page_size]
    return AuditPage(count=count, page=page, page_size=page_size, source="event-table",
                     results=[_entry_of_row(row) for row in chosen])


def _entry_of_row(row: StoredEvent) -> dict:
    data, metadata = row.data or {}, public_metadata(row.metadata)
    till = metadata.get("till") or data.get("till_id")
    return {"event_id": str(row.event_id), "recorded_at": row.recorded_at, "context": row.context,
            "user": metadata.get("user"),
            "stream_type": row.stream_type, "stream_id": row.stream_id, "version": row.version,
            "event_type": row.event_type, "schema_version": row.schema_version,
            "type": f"pos.{row.context}.{row.event_type}.v{row.schema_version}", "source": f"/pos/{row.context}",
            "actor": metadata.get("user") or data.get("cashier"), "till": None if till is None else str(till),
            "store": data.get("store_code") or metadata.get("store"), "correlation_id": metadata.get("correlation_id"),
            "causation_id": metadata.get("causation_id"), "request_id": metadata.get("request_id"),
            "data": data, "metadata": metadata}
