"""Audit questions over days of archived events, in the real FerretDB: a time range is asked as
`day`/`hour` buckets and several types or streams one at a time (contexts/audit/search.py), and
the answer, page after page, is still exactly the events that match, oldest first.

The events (three days of two tills, with some exactly on an hour's or a day's edge) go straight
into the archive; the expected answers are read from the same list in Python."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from contexts.audit import archive, search as audit_search
from contexts.audit.search import AuditQuery, search, time_buckets
from infrastructure.eventstore.envelope import Envelope

from .support import audit_db  # noqa: F401 - fixture

pytestmark = pytest.mark.integration

UTC = dt.timezone.utc
TILLS = ("till-a", "till-b")
KINDS = ("OrderPlaced", "PaymentRecorded", "OrderRefunded")


def _start() -> dt.datetime:
    """Midnight (UTC) three days ago."""
    return (timezone.now() - dt.timedelta(days=3)).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _history(start: dt.datetime) -> list[Envelope]:
    moments = [start + dt.timedelta(minutes=13 * i) for i in range(330)]  # about three days
    moments += [start + dt.timedelta(days=1), start + dt.timedelta(days=1) - dt.timedelta(microseconds=1),
                start + dt.timedelta(hours=14), start + dt.timedelta(hours=15) - dt.timedelta(microseconds=1)]
    envelopes = []
    for i, moment in enumerate(sorted(moments)):
        kind = KINDS[i % 3]
        till = TILLS[(i // 3) % 2]
        data = {"till_id": till, "cashier": f"cashier-{i % 4}", "total": f"{(i * 7) % 90}.50",
                "store_code": "S1" if till == "till-a" else "S2"}
        envelopes.append(Envelope(event_id=uuid.uuid4(), source_context="sales", stream_type="Order",
                                  stream_id=f"order-{i // 3}", version=i % 3 + 1, event_type=kind, schema_version=1,
                                  data=data, metadata={"correlation_id": f"c-{i // 3}"}, recorded_at=moment))
    for version, moment in enumerate((start + dt.timedelta(hours=2), start + dt.timedelta(days=1, hours=3),
                                      start + dt.timedelta(days=2, hours=23, minutes=59)), start=1):
        kind = "ProductCreated" if version == 1 else "ProductPriceChanged"
        data = {"product_id": "p-1", "new_price": f"{version}.00", **({"sku": "SKU-B"} if version == 1 else {})}
        envelopes.append(Envelope(event_id=uuid.uuid4(), source_context="catalog", stream_type="Product",
                                  stream_id="p-1", version=version, event_type=kind, schema_version=1, data=data,
                                  metadata={"user": "manager-1"}, recorded_at=moment))
    return envelopes


def _expected(envelopes: list[Envelope], matches) -> list[str]:
    chosen = [e for e in envelopes if matches(e)]
    chosen.sort(key=lambda e: (e.recorded_at, e.stream_id, e.version))
    return [str(e.event_id) for e in chosen]


def _every_page(query: AuditQuery, page_size: int = 4) -> list[str]:
    ids, page = [], 1
    while True:
        answer = search(query, page=page, page_size=page_size)
        assert answer.source == "archive"
        ids += [entry["event_id"] for entry in answer.results]
        if not answer.has_next:
            assert answer.count == len(ids), query
            return ids
        assert len(answer.results) == page_size, query
        page += 1


def _questions(s: dt.datetime) -> list[tuple[AuditQuery, object]]:
    h, d = dt.timedelta(hours=1), dt.timedelta(days=1)
    between = lambda low, high: lambda e: low <= e.recorded_at < high  # noqa: E731
    return [
        (AuditQuery(till="till-a", since=s + 14 * h, until=s + 15 * h),
         lambda e: e.data.get("till_id") == "till-a" and between(s + 14 * h, s + 15 * h)(e)),
        (AuditQuery(till="till-a", since=s + 13 * h + dt.timedelta(minutes=25), until=s + d + 13 * h),
         lambda e: e.data.get("till_id") == "till-a" and between(s + 13 * h + dt.timedelta(minutes=25), s + d + 13 * h)(e)),
        (AuditQuery(store="S2", since=s, until=s + 2 * d),
         lambda e: e.data.get("store_code") == "S2" and between(s, s + 2 * d)(e)),
        (AuditQuery(event_types=("OrderRefunded",), amount_above=Decimal("50.00"), since=s + 5 * h + dt.timedelta(minutes=10)),
         lambda e: e.event_type == "OrderRefunded" and Decimal(e.data["total"]) > 50 and e.recorded_at >= s + 5 * h
         + dt.timedelta(minutes=10)),
        (AuditQuery(till="till-b", event_types=("OrderPlaced", "OrderRefunded"), since=s + h + dt.timedelta(minutes=30),
                    until=s + 2 * d + 3 * h),
         lambda e: e.data.get("till_id") == "till-b" and e.event_type in ("OrderPlaced", "OrderRefunded")
         and between(s + h + dt.timedelta(minutes=30), s + 2 * d + 3 * h)(e)),
        (AuditQuery(since=s + d - dt.timedelta(microseconds=1), until=s + d + dt.timedelta(microseconds=1)),
         between(s + d - dt.timedelta(microseconds=1), s + d + dt.timedelta(microseconds=1))),
        (AuditQuery(actor="cashier-1", until=s + d), lambda e: e.data.get("cashier") == "cashier-1" and e.recorded_at < s + d),
        (AuditQuery(actor="cashier-2"), lambda e: e.data.get("cashier") == "cashier-2"),
        (AuditQuery(sku="SKU-B", event_types=("ProductPriceChanged",), since=s + d),
         lambda e: e.event_type == "ProductPriceChanged" and e.recorded_at >= s + d),
    ]


@pytest.mark.parametrize("in_parts", [True, False], ids=["in-parts", "one-filter"])
def test_questions_over_days_answer_exactly_the_matching_events_page_after_page(in_parts, audit_db,  # noqa: F811
                                                                               monkeypatch):
    """Both ways of asking, whichever backend the FerretDB under test has: in parts (as on
    PostgreSQL, where FerretDB pushes equality down) and as one filter (as on SQLite)."""
    monkeypatch.setattr(audit_search, "pushes_equality_down", lambda: in_parts)
    start = _start()
    envelopes = _history(start)
    assert archive.append(envelopes[:200]) == 200
    assert archive.append(envelopes) == len(envelopes) - 200  # a redelivery: the rest only
    assert list(archive.days()) == sorted({e.recorded_at.strftime("%Y-%m-%d") for e in envelopes})
    for query, matches in _questions(start):
        expected = _expected(envelopes, matches)
        assert 0 < len(expected) < len(envelopes), query
        assert _every_page(query) == expected, query
    # Counts kept from the questions above must not hide what is archived after them.
    late = _history(start)[100:104]  # same times, streams and tills: new events
    assert archive.append(late) == len(late)
    envelopes += late
    for query, matches in _questions(start):
        assert _every_page(query) == _expected(envelopes, matches), query


def test_a_range_is_asked_as_whole_days_and_the_hours_at_its_ends():
    s = dt.datetime(2026, 3, 1, 13, 25, tzinfo=UTC)
    assert time_buckets(s, s.replace(minute=40)) == [{"hour": "2026-03-01T13"}]
    assert time_buckets(s, s + dt.timedelta(days=2)) == (
        [{"hour": f"2026-03-01T{hour}"} for hour in range(13, 24)] + [{"day": "2026-03-02"}]
        + [{"hour": f"2026-03-03T{hour:02}"} for hour in range(0, 14)])
    midnight = dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert time_buckets(midnight, midnight + dt.timedelta(days=1)) == [{"day": "2026-03-01"}]
    assert time_buckets(midnight, midnight) == []
    # Only the days the archive holds: nothing before the first, after the last, or between.
    held = ["2026-03-02", "2026-03-04"]
    assert time_buckets(midnight - dt.timedelta(days=400), midnight + dt.timedelta(days=400), held) == [
        {"day": "2026-03-02"}, {"day": "2026-03-04"}]
    assert time_buckets(midnight + dt.timedelta(days=1, hours=22), midnight + dt.timedelta(days=3, hours=2), held) == [
        {"hour": "2026-03-02T22"}, {"hour": "2026-03-02T23"}, {"hour": "2026-03-04T00"}, {"hour": "2026-03-04T01"}]
