"""Business days and hours in each store's own time zone. Berlin (UTC+1 in December) and New
York (UTC-5) each sell just before and just after their local midnight; reporting must count
every sale on the day and hour a person in that shop would write down, say so in its answers,
and give the same figures after a rebuild. Sales events are fed to the reporting consumer as the
sales context publishes them; the stores are registered through the stores context's commands
(delivered in-process)."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from contexts.reporting import reports
from contexts.reporting.dashboard import dashboard
from contexts.reporting.reports import Period
from infrastructure.consumers.inbox import apply_batch
from infrastructure.eventstore.envelope import Envelope
from infrastructure.projections.rebuild import rebuild_projections
from tests.stores.support import BERLIN, NEW_YORK, register_store

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("embedded_delivery")]

UTC = dt.timezone.utc
DEC1, DEC2 = dt.date(2026, 12, 1), dt.date(2026, 12, 2)


def utc(day: int, hhmm: str) -> dt.datetime:
    return dt.datetime(2026, 12, day, int(hhmm[:2]), int(hhmm[3:]), tzinfo=UTC)


def _envelope(event_type: str, stream_id: str, version: int, data: dict, at: dt.datetime) -> Envelope:
    return Envelope(event_id=uuid.uuid4(), source_context="sales", stream_type="Order", stream_id=stream_id,
                    version=version, event_type=event_type, schema_version=1, data=data,
                    metadata={"user": "test"}, recorded_at=at)


def completed(store: str, at: dt.datetime, total: str) -> Envelope:
    order_id = str(uuid.uuid4())
    line = {"line_no": 1, "product_id": str(uuid.uuid4()), "sku": "COF", "name": "Coffee", "quantity": 1,
            "unit_price": total, "price_includes_tax": True, "tax_rate": "0.00", "discount_percent": "0.00",
            "gross": total, "discount": "0.00", "tax": "0.00", "total": total}
    return _envelope("OrderCompleted", order_id, 2, {
        "order_id": order_id, "number": f"{store}-000001", "kind": "till", "store_code": store, "cashier": "ann",
        "session_id": None, "total": total, "gross": total, "discount_total": "0.00", "tax_total": "0.00",
        "completed_at": at.isoformat(), "lines": [line]}, at)


def refunded(sale: Envelope, at: dt.datetime, amount: str) -> Envelope:
    line = sale.data["lines"][0]
    return _envelope("OrderRefunded", sale.stream_id, 3, {
        "order_id": sale.data["order_id"], "refund_id": str(uuid.uuid4()), "cashier": "ann", "method": "cash",
        "total": amount, "tax": "0.00",
        "lines": [{"line_no": 1, "product_id": line["product_id"], "quantity": 1, "amount": amount, "tax": "0.00"}]},
        at)


@pytest.fixture
def two_shops_around_midnight(db):
    register_store(BERLIN)  # BER, Europe/Berlin
    register_store(NEW_YORK)  # NYC, America/New_York
    nyc_late = completed("NYC", utc(2, "04:30"), "7.00")  # New York 23:30 on 1 December
    apply_batch("reporting", [
        completed("BER", utc(1, "22:50"), "10.00"),  # Berlin 23:50 on 1 December, hour 23
        completed("BER", utc(1, "23:30"), "20.00"),  # Berlin 00:30 on 2 December, hour 0
        nyc_late,
        completed("NYC", utc(2, "05:10"), "3.00"),  # New York 00:10 on 2 December, hour 0
        completed("OLD", utc(1, "23:30"), "1.00"),  # a store the stores context never registered: UTC
    ])
    apply_batch("reporting", [refunded(nyc_late, utc(2, "06:00"), "7.00")])  # New York 01:00 on 2 December


def daily() -> list[tuple]:
    rows = reports.daily_sales(Period(DEC1, DEC2))["rows"]
    return [(str(r["day"]), r["store_code"], r["time_zone"], r["orders"], str(r["total"]), str(r["refunds"]))
            for r in rows]


# As the shops wrote them down:
EXPECTED_DAILY = [
    ("2026-12-01", "BER", "Europe/Berlin", 1, "10.00", "0.00"),
    ("2026-12-01", "NYC", "America/New_York", 1, "7.00", "0.00"),
    ("2026-12-01", "OLD", "UTC", 1, "1.00", "0.00"),
    ("2026-12-02", "BER", "Europe/Berlin", 1, "20.00", "0.00"),
    ("2026-12-02", "NYC", "America/New_York", 1, "3.00", "7.00"),
]


def test_each_sale_counts_on_its_shops_local_day(two_shops_around_midnight):
    assert daily() == EXPECTED_DAILY


def test_hours_are_local_too(two_shops_around_midnight):
    def hours(store):
        rows = reports.sales_by_hour(Period(DEC1, DEC2, store=store))["rows"]
        return {r["hour"]: (r["orders"], str(r["refunds"])) for r in rows if r["orders"] or r["refund_count"]}

    assert hours("BER") == {23: (1, "0.00"), 0: (1, "0.00")}
    assert hours("NYC") == {23: (1, "0.00"), 0: (1, "0.00"), 1: (0, "7.00")}
    assert hours("OLD") == {23: (1, "0.00")}


def test_the_api_says_how_it_groups_days(two_shops_around_midnight, manager):
    body = manager.get("/api/v1/reports/daily-sales/?from=2026-12-01&to=2026-12-02").json()
    assert "time zone" in body["days"]
    assert [(r["day"], r["store_code"], r["time_zone"]) for r in body["rows"]] == [row[:3] for row in EXPECTED_DAILY]


def test_todays_figures_are_each_shops_own_today(two_shops_around_midnight, monkeypatch):
    # 04:45 UTC on 2 December: already 05:45 on the 2nd in Berlin, still 23:45 on the 1st in New York.
    monkeypatch.setattr("django.utils.timezone.now", lambda: utc(2, "04:45"))
    today = [(str(r["day"]), r["store_code"], str(r["total"])) for r in reports.todays_sales()]
    assert today == [("2026-12-01", "NYC", "7.00"), ("2026-12-02", "BER", "20.00")]
    board = dashboard()
    assert board["today_totals"]["total"] == Decimal("27.00") and board["today_totals"]["orders"] == 2


def test_a_rebuild_gives_the_same_days_and_hours(two_shops_around_midnight):
    hours_before = reports.sales_by_hour(Period(DEC1, DEC2))["rows"]
    rebuild_projections("reporting")
    assert daily() == EXPECTED_DAILY
    assert reports.sales_by_hour(Period(DEC1, DEC2))["rows"] == hours_before
