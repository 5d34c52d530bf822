"""Audit search: which events match a question, a page at a time, oldest first.

    page = search(AuditQuery(till="...", since=..., until=...), page=1, page_size=50)

One question, two places that answer it, the same answer:
- the archive (`MONGODB_URL` set): a `find` on the `events` collection of the document database,
  on the fields each document lifts out of its event (documents.py), each with an index;
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
import heapq
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce

from infrastructure.eventstore.databases import db_for
from infrastructure.eventstore.models import StoredEvent

from . import archive
from .documents import cents, iso_time, public_metadata
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
def archive_filter(query: AuditQuery) -> dict:
    """The MongoDB filter of a question. Plain equality wherever it can be: FerretDB (PostgreSQL
    backend) pushes top-level equality down into SQL; `$in`, ranges and dotted paths it filters
    itself, document by document."""
    where: dict = {}
    for name, path in (("actor", "actor"), ("till", "till"), ("store", "store"), ("stream", "stream_id"),
                       ("context", "context"), ("correlation_id", "correlation_id")):
        value = getattr(query, name)
        if value is not None:
            where[path] = value
    if query.event_types:
        where["event_type"] = _one_of(query.event_types)
    if query.since or query.until:
        # `time` is fixed-width RFC 3339 (documents.iso_time): string order is time order.
        where["time"] = {**({"$gte": iso_time(query.since)} if query.since else {}),
                         **({"$lt": iso_time(query.until)} if query.until else {})}
    if query.amount_above is not None:
        where["amount_cents"] = {"$gt": cents(query.amount_above)}
    if query.sku is not None:
        streams = sorted(archive.collection().distinct("stream_id", {"sku": query.sku}))
        if query.stream is not None:
            streams = [query.stream] if query.stream in streams else []
        where["stream_id"] = _one_of(streams)
    return where


def _one_of(values) -> object:
    values = list(values)
    return values[0] if len(values) == 1 else {"$in": values}


def _search_archive(query: AuditQuery, page: int, page_size: int) -> AuditPage:
    with archive.unavailable_as_operational_error():
        where = archive_filter(query)
        collection = archive.collection()
        count = collection.count_documents(where)
        cursor = (collection.find(where).sort([("time", 1), ("stream_id", 1), ("version", 1)])
                  .skip((page - 1) * page_size).limit(page_size))
        results = [_entry_of_document(doc) for doc in cursor]
    return AuditPage(count=count, page=page, page_size=page_size, source="archive", results=results)


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
